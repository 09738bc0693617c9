"""Voilà with the audit app's guards; ``serve`` runs it as ``python -m workbench.app._voila``.

Every page costs a Python kernel of several hundred MB, so before Voilà handles a request:

* the ``Host`` header must name this machine (``127.0.0.1``, ``localhost``, ``[::1]``):
  a page of another site cannot reach the app through DNS rebinding;
* an ``Origin`` header, when the browser sends one, must be the app's own;
* the token (printed in the app's URL, as Jupyter does) must come with the first request;
  Voilà then keeps it in a cookie;
* at most ``--max-kernels`` kernels live at once (a page asked for beyond that gets
  "503 busy" before a kernel starts); idle kernels are shut down by Jupyter's culler;
* a kernel whose page was closed (its last websocket gone for ``--closed-seconds``,
  60 by default) is shut down then, instead of waiting for the idle culler; a reload
  starts a new kernel anyway, and a dropped connection that comes back in time keeps it.

The token comes in the ``WORKBENCH_APP_TOKEN`` environment variable (not on the command
line, where other users of the machine could read it) and is removed from the
environment before kernels start. Imports tornado, jupyter_server and voila; only ever
run as a child process.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from typing import Any
from urllib.parse import urlparse

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_VARIABLE = "WORKBENCH_APP_TOKEN"


def host_is_local(host: str | None) -> bool:
    """Whether a ``Host`` header (or an origin's netloc) names this machine.

    Examples
    --------
    >>> host_is_local("127.0.0.1:8866"), host_is_local("[::1]:8866"), host_is_local("evil.com")
    (True, True, False)
    """
    if not host:
        return False
    match = re.match(r"^(\[[^\]]*\]|[^:]*)(:\d+)?$", host.strip().lower())
    if match is None:
        return False
    name = match.group(1).strip("[]")
    return name in LOCAL_HOSTS


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """An absent ``Origin`` is allowed (scripts, same-origin GETs); else it must be ``host``.

    Examples
    --------
    >>> origin_allowed(None, "127.0.0.1:8866")
    True
    >>> origin_allowed("http://127.0.0.1:8866", "127.0.0.1:8866")
    True
    >>> origin_allowed("https://evil.example", "127.0.0.1:8866")
    False
    """
    if origin is None:
        return True
    parsed = urlparse(origin.strip().lower())
    return bool(host) and parsed.netloc == (host or "").lower() and host_is_local(parsed.netloc)


def _shut_down_closed_pages(closed_seconds: float) -> None:
    """Shut a kernel down ``closed_seconds`` after its last websocket closed."""
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from jupyter_server.utils import ensure_async
    from tornado.ioloop import PeriodicCallback

    closed_at: dict[str, float] = {}
    callbacks: dict[int, PeriodicCallback] = {}
    connect = MappingKernelManager.notify_connect
    disconnect = MappingKernelManager.notify_disconnect
    start_culler = MappingKernelManager.initialize_culler

    def notify_connect(self: Any, kernel_id: str) -> None:
        connect(self, kernel_id)
        closed_at.pop(kernel_id, None)

    def notify_disconnect(self: Any, kernel_id: str) -> None:
        disconnect(self, kernel_id)
        if self._kernel_connections.get(kernel_id, 1) <= 0:
            closed_at[kernel_id] = time.monotonic()

    async def shut_down(self: Any) -> None:
        now = time.monotonic()
        for kernel_id, since in list(closed_at.items()):
            if kernel_id not in self._kernels:
                closed_at.pop(kernel_id, None)
            elif now - since >= closed_seconds and self._kernel_connections.get(kernel_id, 0) <= 0:
                closed_at.pop(kernel_id, None)
                self.log.info(
                    "Shutting down kernel %s: its page closed %d s ago", kernel_id, now - since
                )
                try:
                    await ensure_async(self.shutdown_kernel(kernel_id))
                except Exception:  # a kernel that died or ended meanwhile: nothing to free
                    self.log.exception("Could not shut down kernel %s", kernel_id)

    def initialize_culler(self: Any) -> None:
        start_culler(self)
        if id(self) not in callbacks:
            every = max(0.5, min(5.0, closed_seconds / 2))
            callback = PeriodicCallback(
                lambda: asyncio.ensure_future(shut_down(self)), 1000 * every
            )
            callbacks[id(self)] = callback
            callback.start()

    MappingKernelManager.notify_connect = notify_connect  # type: ignore[method-assign]
    MappingKernelManager.notify_disconnect = notify_disconnect  # type: ignore[method-assign]
    MappingKernelManager.initialize_culler = initialize_culler  # type: ignore[method-assign]


def _install_guards(max_kernels: int) -> None:
    from jupyter_server.base.handlers import JupyterHandler
    from tornado import web
    from voila.handler import VoilaHandler

    original = JupyterHandler.prepare

    async def prepare(self: Any, *args: Any, **kwargs: Any) -> Any:
        host = self.request.headers.get("Host")
        if not host_is_local(host):
            raise web.HTTPError(403, f"refused: the Host header {host!r} is not this machine")
        if not origin_allowed(self.request.headers.get("Origin"), host):
            raise web.HTTPError(403, "refused: a request from another site (Origin header)")
        result = await original(self, *args, **kwargs)
        if (
            isinstance(self, VoilaHandler)
            and self.current_user
            and len(self.kernel_manager.list_kernel_ids()) >= max_kernels
        ):
            self.set_status(503)
            sessions = f"{max_kernels} session{'s are' if max_kernels != 1 else ' is'}"
            self.finish(
                f"The audit app is busy: {sessions} open, the most it allows. Close another "
                "tab of the app (an idle session also ends by itself), or restart the app "
                "with a larger 'workbench app --max-kernels N'."
            )
            raise web.Finish()
        return result

    JupyterHandler.prepare = prepare  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """Parse ``--max-kernels=N`` and ``--closed-seconds=S`` off the arguments and run Voilà
    with the rest."""
    args = list(sys.argv[1:] if argv is None else argv)
    max_kernels = 4
    closed_seconds = 60.0
    for arg in list(args):
        if arg.startswith("--max-kernels="):
            max_kernels = int(arg.split("=", 1)[1])
            args.remove(arg)
        elif arg.startswith("--closed-seconds="):
            closed_seconds = float(arg.split("=", 1)[1])
            args.remove(arg)
    token = os.environ.pop(TOKEN_VARIABLE, "")
    os.environ.pop("JUPYTER_TOKEN", None)
    _install_guards(max_kernels)
    _shut_down_closed_pages(closed_seconds)
    from voila.app import Voila

    if not token:
        raise SystemExit(f"{TOKEN_VARIABLE} is not set: the audit app does not run without one.")
    Voila.launch_instance(argv=args, token=token)


if __name__ == "__main__":
    main()
