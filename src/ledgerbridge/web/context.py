"""What every dashboard router shares: the database, the entity, auth and page rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from ledgerbridge.ledger import Ledger
from ledgerbridge.money import format_minor
from ledgerbridge.web.auth import CSRF_FIELD, Auth, Visit
from ledgerbridge.web.users import Role

__all__ = ["Dashboard"]

TEMPLATES = Path(__file__).with_name("templates")


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.globals.update(money=format_minor, Role=Role, csrf_field=CSRF_FIELD)
    return templates


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One dashboard on one database and entity."""

    engine: Engine
    entity: str
    auth: Auth
    templates: Jinja2Templates = field(default_factory=_templates)

    @property
    def ledger(self) -> Ledger:
        """The entity's ledger."""
        return Ledger(self.engine, self.entity)

    def render(self, request: Request, visit: Visit, name: str, **context: Any) -> HTMLResponse:
        """A page for the logged-in user; a pending notice is shown once, then cleared."""
        response = self.templates.TemplateResponse(
            request, name, {"user": visit.user, "csrf": visit.session.csrf,
                            "notice": visit.session.notice, **context})
        if visit.session.notice is not None:
            self.auth.codec.with_notice(request, response, visit.session, None)
        return response

    def back(self, request: Request, visit: Visit, url: str, notice: str) -> RedirectResponse:
        """Redirect after a change (303: the browser follows with a GET), with a notice."""
        response = RedirectResponse(url, status_code=303)
        self.auth.codec.with_notice(request, response, visit.session, notice)
        return response

    def live_page(self, router: APIRouter, path: str, title: str,
                  gather: Callable[[], dict[str, Any]]) -> None:
        """Add page ``path`` and ``path/table``, the fragment of it that the page polls.

        Both render ``gather()``: the page with ``<name>.html``, the fragment with
        ``_<name>_table.html``, where name is the last part of ``path``.
        """
        name = path.rsplit("/", 1)[-1]
        viewer = self.auth.require(Role.VIEWER)

        def shows(template: str) -> Callable[..., HTMLResponse]:
            def show(request: Request, visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
                return self.render(request, visit, template, title=title, **gather())
            return show

        router.add_api_route(path, shows(f"{name}.html"), response_class=HTMLResponse)
        router.add_api_route(f"{path}/table", shows(f"_{name}_table.html"),
                             response_class=HTMLResponse)
