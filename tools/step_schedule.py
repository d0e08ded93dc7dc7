"""Which steps of tools/run_main.py wait for which, and running them several at a time.

A step of a barrier stage (``data``, ``tables``, ``pictures``) waits for every earlier step,
and every later step waits for it; any other step waits for each earlier step whose work_dir
its command names (a pretraining's checkpoint for a probe or a converter, a converted
backbone for a transfer). Steps that do not wait for each other may run at the same time.
"""
import queue
import re
import threading

BARRIERS = ('data', 'tables', 'pictures')


def _names(argument: str, work_dir: str) -> bool:
    """``argument`` is ``work_dir`` or a path in it, alone or after ``=`` / ``:``."""
    return re.search(rf'(^|[=:]){re.escape(work_dir)}(/|$)', argument) is not None


def dependencies(steps) -> list:
    """For each ``(stage, name, work_dir, command, env)`` of ``steps``, the set of indices of
    the earlier steps it waits for."""
    needs, barrier = [], None
    for index, (stage, _, _, command, _) in enumerate(steps):
        if stage in BARRIERS:
            needs.append(set(range(index)))
            barrier = index
            continue
        mine = set() if barrier is None else {barrier}
        for earlier in range(index):
            work_dir = steps[earlier][2]
            if work_dir and any(_names(argument, work_dir) for argument in command):
                mine.add(earlier)
        needs.append(mine)
    return needs


def run_concurrently(needs: list, jobs: int, run, stop_all, first=()) -> None:
    """Call ``run(i)`` for every step ``i``, each in a thread of its own once every step in
    ``needs[i]`` has returned, at most ``jobs`` at a time: a ready step of ``first`` before
    the others, then the lowest ready index. The
    first step that raises (or a Ctrl-C) calls ``stop_all()``, waits for the running steps to
    end, and raises that error; no further step starts.

    Plain threads, not a ``ThreadPoolExecutor``: a process forked from one of its threads
    (a forked step) runs the executor's exit hook when it ends, and exits with status 1."""
    if jobs < 1:
        raise ValueError(f'--jobs must be at least 1, got {jobs}')
    finished = queue.Queue()  # (index, the exception it raised or None)

    def call(index):
        try:
            run(index)
        except BaseException as error:  # handed to the scheduling thread
            finished.put((index, error))
        else:
            finished.put((index, None))

    preference = sorted(range(len(needs)), key=lambda index: (index not in first, index))
    done, running = set(), {}
    try:
        while len(done) < len(needs):
            for index in preference:
                if len(running) == jobs:
                    break
                if index not in done and index not in running and needs[index] <= done:
                    running[index] = threading.Thread(target=call, args=(index, ), daemon=True)
                    running[index].start()
            if not running:
                raise RuntimeError(f'steps {sorted(set(range(len(needs))) - done)} wait for '
                                   'each other')
            index, error = finished.get()
            running.pop(index).join()
            if error is not None:
                raise error
            done.add(index)
    except BaseException:
        stop_all()
        for thread in running.values():
            thread.join()
        raise
