"""The worker threads that run the core's calls (``gmmi._run``): kept between calls, one call
at a time each, holding nothing of a finished call, and a new one for each call running at
the same time."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest

from gmmi import _core, _run
from gmmi._run import run_with_control


def _thread(control: object) -> threading.Thread:
    return threading.current_thread()


def test_calls_one_after_another_run_on_one_kept_worker():
    # Thread objects, not idents: the system may give a new thread the ident of one that
    # ended (as the per-call executor's threads did).
    first = run_with_control(_thread)
    assert first is not threading.current_thread()  # not on the caller's thread
    # The worker lists itself idle before the caller hears of the result, so the next call
    # of this thread finds it: the same thread every time, none started per call.
    later = [run_with_control(_thread) for _ in range(20)]
    assert all(t is first for t in later)


def test_a_finished_call_leaves_nothing_alive_on_its_worker():
    class Payload:
        pass

    def fn(a: Payload, control: object) -> Payload:
        return Payload()

    arg = Payload()
    out = run_with_control(fn, arg)
    refs = weakref.ref(arg), weakref.ref(out)
    del arg, out
    gc.collect()
    # The idle worker waits for its next job without the last one's arguments or result.
    assert [r() for r in refs] == [None, None]


def test_an_exception_reaches_the_caller_and_the_worker_stays_usable():
    def fail(control: object) -> None:
        raise ValueError("x: bad")

    with pytest.raises(ValueError, match="x: bad"):
        run_with_control(fail)
    assert run_with_control(lambda control: 42) == 42


def test_calls_at_the_same_time_run_on_workers_of_their_own():
    # Four callers whose calls each wait for all four to have started: they finish only if
    # every call has a worker of its own (one shared worker would never get past the barrier).
    barrier = threading.Barrier(4, timeout=10)
    seen: list[int] = []

    def meet(control: object) -> int:
        barrier.wait()
        return threading.get_ident()

    def caller() -> None:
        seen.append(run_with_control(meet))

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(set(seen)) == 4
    # Kept for later calls, at most _MAX_IDLE_WORKERS of them.
    time.sleep(0.05)
    assert len(_run._IDLE) <= _run._MAX_IDLE_WORKERS


def test_a_job_cancelled_before_it_ran_leaves_its_worker_usable():
    # A worker taken for a job that is cancelled before it runs skips the job and goes back
    # to the idle list, instead of waiting forever outside it.
    import concurrent.futures

    worker = _run._Worker()
    cancelled: concurrent.futures.Future[str] = concurrent.futures.Future()
    assert cancelled.cancel()
    worker._jobs.put((cancelled, lambda: "never", (), {}))
    deadline = time.monotonic() + 5
    while worker not in _run._IDLE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker in _run._IDLE
    _run._IDLE.remove(worker)
    assert worker.submit(threading.current_thread).result(timeout=10).name == "gmmi-worker"


def test_a_cancelled_group_starts_no_call_and_cancels_its_running_ones():
    # The blocks of a matrix on an executor are one group: once it is cancelled, a block an
    # executor's thread takes up does not start, and blocks running on other threads are
    # cancelled; another group, and calls of no group, are untouched.
    group, other = _run.new_group(), _run.new_group()
    started = threading.Event()
    seen: list[object] = []

    def wait_for_cancel(control: _core.Control) -> str:
        started.set()
        deadline = time.monotonic() + 10
        while not control.cancelled and time.monotonic() < deadline:
            time.sleep(0.005)
        return "cancelled" if control.cancelled else "ran out"

    def in_thread() -> None:
        try:
            seen.append(run_with_control(wait_for_cancel, group=group))
        except KeyboardInterrupt:
            seen.append("interrupted")

    t = threading.Thread(target=in_thread)
    t.start()
    assert started.wait(10)
    _run.end_group(group, "interrupted")
    t.join(10)
    assert seen == ["cancelled"]  # the running call's control was cancelled
    ran: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        run_with_control(lambda control: ran.append(1), group=group)
    assert ran == []  # a later call of the cancelled group never started
    assert run_with_control(lambda control: 7, group=other) == 7
    assert run_with_control(lambda control: 8) == 8
    _run.end_group(other)
    assert group not in _run._GROUPS_IN_FLIGHT and other not in _run._GROUPS_IN_FLIGHT


def test_an_abandoned_group_starts_no_call_and_lets_its_running_ones_finish():
    # A caller that gave up on another exception (an error, SystemExit): no
    # KeyboardInterrupt on the executor's threads (dask's in-process workers stop their
    # event loop on one), but no new block starts either.
    group = _run.new_group()
    started, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def wait_for_release(control: _core.Control) -> str:
        started.set()
        release.wait(10)
        return "cancelled" if control.cancelled else "finished"

    t = threading.Thread(target=lambda: seen.append(
        run_with_control(wait_for_release, group=group)))
    t.start()
    assert started.wait(10)
    _run.end_group(group, "abandoned")
    release.set()
    t.join(10)
    assert seen == ["finished"]
    ran: list[int] = []
    with pytest.raises(_run.Abandoned):
        run_with_control(lambda control: ran.append(1), group=group)
    assert ran == [] and group not in _run._GROUPS_IN_FLIGHT
