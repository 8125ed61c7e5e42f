"""HTML answers for errors on web pages: sign-in redirects and friendly error pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from erp.errors import Problem
from erp.web.templating import render


def render_problem_page(
    request: Request, problem: Problem, headers: dict[str, str] | None
) -> Response:
    if problem.status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    response = render(request, "error.html", {"problem": problem}, status_code=problem.status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
