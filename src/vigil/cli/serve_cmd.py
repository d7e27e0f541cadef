"""``vigil serve``: run the review web app (FastAPI under uvicorn) on this machine."""

from __future__ import annotations

import errno
import socket
from datetime import timedelta

import click

from vigil.cli.context import AppContext
from vigil.cli.output import stderr
from vigil.errors import ServeError, UsageError

pass_app = click.make_pass_decorator(AppContext)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--break-every",
    default=150,
    show_default=True,
    type=click.IntRange(0),
    help="Remind officers to take a break after this many pictures a day (0: never).",
)
@click.option(
    "--break-minutes",
    default=45,
    show_default=True,
    type=click.IntRange(0),
    help="…and after this many minutes of grading (0: never).",
)
@click.option(
    "--session-minutes",
    default=30,
    show_default=True,
    type=click.IntRange(1, 24 * 60),
    help="Idle minutes after which a session ends.",
)
@click.option(
    "--graded-set",
    default="local-graded",
    show_default=True,
    help="Hash set that receives the grades.",
)
@click.option(
    "--secure-cookies", is_flag=True, help="Mark cookies Secure (when served over HTTPS)."
)
@pass_app
def serve_command(
    app: AppContext,
    host: str,
    port: int,
    break_every: int,
    break_minutes: int,
    session_minutes: int,
    graded_set: str,
    secure_cookies: bool,
) -> None:
    """Serve the review app: case pages, grading with welfare safeguards, admin.

    Create the first account with `vigil user add NAME --role admin`. Listening
    on anything but localhost exposes the app to the network: put it behind an
    HTTPS proxy and pass --secure-cookies.
    """
    import uvicorn

    from vigil.web.app import create_app
    from vigil.web.settings import WebSettings

    if not graded_set.strip():
        raise UsageError("--graded-set needs a name")
    ensure_port_free(host, port)
    settings = WebSettings(
        session_idle=timedelta(minutes=session_minutes),
        break_every=break_every,
        break_minutes=break_minutes,
        graded_set=graded_set,
        secure_cookies=secure_cookies,
    )
    from vigil.accounts.users import list_users

    web = create_app(app.store, settings)
    if not list_users(app.store):
        stderr.print("No accounts yet: create one with `vigil user add NAME --role admin`.")
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        stderr.print(
            f"warning: serving on {host} without --secure-cookies: use an HTTPS proxy in front"
        )
    stderr.print(f"Vigil review on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False)


def ensure_port_free(host: str, port: int) -> None:
    """ServeError (one line, exit 1) unless ``host:port`` can be listened on now.

    Uvicorn would log a traceback-like error and exit 1 after the app was built;
    binding first gives the examiner one clear line instead.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn does: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use (another vigil serve?): "
                    "stop it or choose another with --port"
                ) from exc
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
