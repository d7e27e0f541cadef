"""A separate process of wrong guesses, for the cross-process lockout test.

Run as ``python login_guesser.py DATABASE_URL NAME PASSWORD THREADS``. It opens the
store, prints ``ready``, waits for a line on stdin, then sends THREADS guesses
at once from as many threads and prints one JSON line: how many guesses were
checked against the account's password hash, and how each one was refused.
"""

from __future__ import annotations

import json
import sys
import threading

from vigil.accounts import login
from vigil.accounts.login import LockoutPolicy, LoginRefused, authenticate
from vigil.store.engine import open_store


def main(url: str, name: str, password: str, threads: int) -> None:
    """Guess from ``threads`` threads at once and report on stdout."""
    store = open_store(url)
    checked: list[str] = []
    outcomes: list[str] = []
    real_verify = login.verify_password

    def counting_verify(stored_hash: str | None, given: str) -> bool:
        if stored_hash is not None:
            checked.append(given)
        return real_verify(stored_hash, given)

    login.verify_password = counting_verify  # type: ignore[assignment]
    start = threading.Barrier(threads)

    def guess() -> None:
        start.wait()
        try:
            authenticate(store, name, password, LockoutPolicy())
            outcomes.append("logged in")
        except LoginRefused as refused:
            outcomes.append(refused.reason)

    workers = [threading.Thread(target=guess) for _ in range(threads)]
    print("ready", flush=True)
    sys.stdin.readline()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()
    print(json.dumps({"checked": len(checked), "outcomes": outcomes}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
