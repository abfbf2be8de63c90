"""Which role task made which API call: a callback notes when each task starts, and every
call in the emulator's log goes to the task that started last before it.

Sound for the role's API tasks because they run once (run_once) and one at a time; with
several forks a host-side task may start while an API task is still calling, so the
attribution is a reading aid, not a figure.
"""

import bisect
import collections
import datetime
import json
import os

_CALLBACK = '''
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_clock"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        with open(os.environ["BENCH_TASK_CLOCK"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time": time.time(), "task": task.get_name()}) + "\\n")
'''


def env(workdir):
    """Environment additions for run_playbook(env_extra=...): enables the callback."""
    plugins = os.path.join(workdir, "callback_plugins")
    os.makedirs(plugins, exist_ok=True)
    with open(os.path.join(plugins, "task_clock.py"), "w", encoding="utf-8") as handle:
        handle.write(_CALLBACK)
    log = os.path.join(workdir, "task_clock.jsonl")
    open(log, "w", encoding="utf-8").close()
    return {"ANSIBLE_CALLBACK_PLUGINS": plugins, "ANSIBLE_CALLBACKS_ENABLED": "task_clock",
            "BENCH_TASK_CLOCK": log}


def by_task(workdir, calls):
    """{task name: Counter(action)} in the order the tasks started; reads and resets the log."""
    log = os.path.join(workdir, "task_clock.jsonl")
    with open(log, encoding="utf-8") as handle:
        starts = [json.loads(line) for line in handle if line.strip()]
    open(log, "w", encoding="utf-8").close()
    times = [start["time"] for start in starts]
    result = collections.OrderedDict()
    for call in calls:
        moment = datetime.datetime.fromisoformat(call["time"].replace("Z", "+00:00")).timestamp()
        index = bisect.bisect_right(times, moment) - 1
        task = starts[index]["task"] if index >= 0 else "(before the play)"
        result.setdefault(task, collections.Counter())[call["action"]] += 1
    return result


def describe(tasks):
    """One line per task: 'task: n (Action k, ...)'."""
    lines = []
    for task, actions in tasks.items():
        lines.append("%s: %d (%s)" % (task, sum(actions.values()), ", ".join(
            "%s %d" % (action, count) for action, count in sorted(actions.items()))))
    return lines


def durations(workdir, until):
    """[(task, seconds)] from each task's start to the next one's (the last one's to ``until``,
    epoch seconds), slowest first; leaves the log for by_task."""
    with open(os.path.join(workdir, "task_clock.jsonl"), encoding="utf-8") as handle:
        starts = [json.loads(line) for line in handle if line.strip()]
    spent = collections.Counter()
    for start, following in zip(starts, starts[1:] + [{"time": until}]):
        spent[start["task"]] += following["time"] - start["time"]
    return spent.most_common()
