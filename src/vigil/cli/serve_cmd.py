"""``vigil serve``: run the review web app (FastAPI under uvicorn) on this machine."""

from __future__ import annotations

import errno
import re
import socket
from datetime import timedelta

import click

from vigil.cli.context import AppContext
from vigil.cli.output import line, stderr
from vigil.errors import ServeError, UsageError

pass_app = click.make_pass_decorator(AppContext)

_ANY_ADDRESS = ("0.0.0.0", "::", "")
"""Listening addresses that name no host a browser could put in its Host header."""

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+")
"""A DNS name or an IP address, as :func:`vigil.web.security.host_of` gives it."""


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
@click.option(
    "--allow-grader-resolve",
    is_flag=True,
    help="Let a grader resolve their own disagreement (small teams; normally a third officer).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name browsers use to reach the app (repeatable); localhost, 127.0.0.1, "
    "::1 and the --host address are always allowed. Requests for any other Host get 400.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    help="Address or network of a reverse proxy whose X-Forwarded-For is believed "
    "(repeatable). Without it proxy headers are ignored.",
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
    allow_grader_resolve: bool,
    allowed_hosts: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the review app: case pages, grading with welfare safeguards, admin.

    Create the first account with `vigil user add NAME --role admin`. Listening
    on anything but localhost exposes the app to the network: put it behind an
    HTTPS proxy, pass --secure-cookies, --allowed-host with the name users type
    and --trusted-proxy with the proxy's address.
    """
    import uvicorn

    from vigil.web.app import create_app
    from vigil.web.security import host_of, trusted_networks
    from vigil.web.settings import LOCAL_HOSTS, WebSettings

    if not graded_set.strip():
        raise UsageError("--graded-set needs a name")
    for name in allowed_hosts:
        if not _HOST_NAME.fullmatch(host_of(name)):
            raise UsageError(f"--allowed-host {name!r} is not a host name or IP address")
    trusted_networks(trusted_proxies)  # a bad address is a one-line error now, not at start-up
    hosts = (*LOCAL_HOSTS, *([] if host in _ANY_ADDRESS else [host]), *allowed_hosts)
    ensure_port_free(host, port)
    settings = WebSettings(
        session_idle=timedelta(minutes=session_minutes),
        break_every=break_every,
        break_minutes=break_minutes,
        graded_set=graded_set,
        secure_cookies=secure_cookies,
        allow_grader_resolve=allow_grader_resolve,
        allowed_hosts=hosts,
        trusted_proxies=trusted_proxies,
    )
    from vigil.accounts.users import list_users

    web = create_app(app.store, settings)
    if not list_users(app.store):
        stderr.print(line("No accounts yet: create one with `vigil user add NAME --role admin`."))
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        stderr.print(
            line(
                f"warning: serving on {host} without --secure-cookies: use an HTTPS proxy in front"
            )
        )
    if host in _ANY_ADDRESS and not allowed_hosts:
        stderr.print(
            line(
                f"note: listening on {host}: only localhost names are allowed in the Host "
                "header; add --allowed-host NAME for the name others use"
            )
        )
    stderr.print(line(f"Vigil review on http://{host}:{port}/ (Ctrl-C stops)"))
    # uvicorn's own proxy handling (on by default, trusting 127.0.0.1) is off: the
    # app believes X-Forwarded-For only from --trusted-proxy (web/security.py).
    uvicorn.run(
        web,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )


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
