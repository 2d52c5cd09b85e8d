"""A new user's session with kafka-connect-py, a third-party Kafka Connect
client from PyPI, used exactly as its README shows: create, list, inspect,
pause, resume, restart, reconfigure and delete a connector.

Usage: python client_session.py URL NAME TOPIC FILE
Exits non-zero (with the failed step) if anything is not as Kafka Connect
would answer it.
"""
import sys
import time

from kafka_connect import KafkaConnect

url, name, topic, path = sys.argv[1:5]
kc = KafkaConnect(url=url)


def step(what, cond, detail=""):
    if not cond:
        print(f"FAILED: {what} {detail}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def wait_state(want, tasks=None, timeout=30):
    deadline = time.time() + timeout
    st = None
    while time.time() < deadline:
        st = kc.get_connector_status(name)
        ok = st["connector"]["state"] == want
        if tasks is not None:
            ok = ok and len(st["tasks"]) == tasks and all(t["state"] == want for t in st["tasks"])
        if ok:
            return st
        time.sleep(0.5)
    step(f"{name} reaches {want}", False, str(st))


info = kc.get_cluster_info()
step("cluster info has a version", "version" in info, str(info))
plugins = kc.list_connector_plugins()
step("plugins list a sink", any(p["type"] == "sink" for p in plugins), str(plugins))

config = {"name": name, "config": {"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": path}}
created = kc.create_connector(config)
step("create answers ConnectorInfo", created["name"] == name and created["type"] == "sink", str(created))
step("list shows it", name in kc.list_connectors())
expanded = kc.list_connectors(expand="status")
step("list ?expand=status", expanded[name]["status"]["name"] == name, str(expanded))
got = kc.get_connector(name)
step("get shows the config", got["config"]["topics"] == topic, str(got))
wait_state("RUNNING", tasks=1)
tasks = kc.list_connector_tasks(name)
step("tasks list task 0", tasks[0]["id"] == {"connector": name, "task": 0}, str(tasks))
ts = kc.get_connector_task_status(name, 0)
step("task 0 status", ts["id"] == 0 and ts["state"] == "RUNNING", str(ts))

kc.pause_connector(name)
wait_state("PAUSED", tasks=1)
kc.resume_connector(name)
wait_state("RUNNING", tasks=1)

r = kc.restart_connector(name, include_tasks=True, only_failed=False)
step("restart with tasks answers the plan", r["connector"]["state"] == "RESTARTING", str(r))
wait_state("RUNNING", tasks=1)
kc.restart_connector_task(name, 0)
wait_state("RUNNING", tasks=1)

new = dict(config["config"])
new["tasks.max"] = "2"
new.pop("name", None)
updated = kc.update_connector(name, new)
step("update answers the new config", updated["config"]["tasks.max"] == "2", str(updated))
wait_state("RUNNING", tasks=2)

v = kc.validate_connector_config("FileStreamSink", {"connector.class": "FileStreamSink", "tasks.max": "x"})
step("validate reports errors", v["error_count"] > 0, str(v)[:300])

kc.stop_connector(name)
wait_state("STOPPED", tasks=0)
kc.delete_connector(name)
step("deleted", name not in kc.list_connectors())
print("session complete")
