package host

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// taskConfigsTimeout bounds TaskConfigs, which the sdk gives no context.
const taskConfigsTimeout = time.Minute

// connector is the host end of a connector running in a plugin process. It
// implements sdk.Connector and sdk.Validator; sinkConnector and
// sourceConnector add the task factories.
type connector struct {
	h    *Host
	name string
	kind sdk.Kind
	cmd  Command
	sup  *supervisor
	cfg  map[string]string
}

type sinkConnector struct{ *connector }

func (c sinkConnector) NewSinkTask() sdk.SinkTask {
	return &sinkTask{sup: c.h.supervise(c.name, c.cmd), name: c.name}
}

type sourceConnector struct{ *connector }

func (c sourceConnector) NewSourceTask() sdk.SourceTask {
	return &sourceTask{sup: c.h.supervise(c.name, c.cmd), name: c.name}
}

func (c *connector) restore(ctx context.Context, p *process) error {
	_, err := p.rpc.StartConnector(ctx, &pb.StartConnectorRequest{Connector: c.name, Config: c.cfg})
	return err
}

// Start starts a process for the connector and starts the connector in it.
func (c *connector) Start(ctx context.Context, cfg map[string]string) error {
	c.cfg = maps.Clone(cfg)
	_, err := c.sup.live(ctx, c.restore)
	return err
}

// TaskConfigs asks the connector for task configs; if its process died, it
// is restarted (the connector holds nothing that could be lost) and asked
// again.
func (c *connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), taskConfigsTimeout)
	defer cancel()
	for {
		p, err := c.sup.live(ctx, c.restore)
		if err != nil {
			return nil, err
		}
		resp, err := p.rpc.TaskConfigs(ctx, &pb.TaskConfigsRequest{MaxTasks: int32(maxTasks)})
		if err = c.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out := make([]map[string]string, len(resp.Tasks))
		for i, t := range resp.Tasks {
			out[i] = t.Config
			if out[i] == nil {
				out[i] = map[string]string{}
			}
		}
		return out, nil
	}
}

// Stop stops the connector and its process.
func (c *connector) Stop(ctx context.Context) error {
	defer c.sup.stop()
	p := c.sup.alive()
	if p == nil {
		return nil
	}
	_, err := p.rpc.StopConnector(ctx, &pb.Empty{})
	if err = c.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil
	}
	return err
}

// Validate runs the connector's validators and own Validator in a process
// started for the purpose. A plugin that cannot be started is reported
// against connector.class.
func (c *connector) Validate(ctx context.Context, cfg map[string]string) map[string][]string {
	p, err := c.h.launch(ctx, c.name, c.cmd)
	if err != nil {
		return map[string][]string{"connector.class": {err.Error()}}
	}
	defer p.stop()
	resp, err := p.rpc.Validate(ctx, &pb.ValidateRequest{Connector: c.name, Config: cfg})
	if err != nil {
		if decoded, ok := pb.FromStatus(err); ok {
			err = decoded
		}
		return map[string][]string{"connector.class": {fmt.Sprintf("validate in plugin %s: %v", c.name, err)}}
	}
	return pb.ToProblems(resp.Problems)
}
