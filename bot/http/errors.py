"""The one place that turns the desk's errors into HTTP responses (one JSON error shape)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import DeskError, InvalidField, TooManyRequests, Unauthorized


def _json(error: DeskError) -> JSONResponse:
    headers = {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.details.get("retry_after", 60))
    if isinstance(error, Unauthorized) and error.challenge:
        headers["WWW-Authenticate"] = error.challenge
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one JSON error shape, in this one place."""

    async def on_desk_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DeskError)
        return _json(exc)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _json(InvalidField(f"{where}: {first.get('msg', 'invalid')}", field=where))

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = DeskError(str(exc.detail), code="not_found" if exc.status_code == 404 else "http")
        error.status = exc.status_code
        return _json(error)

    app.add_exception_handler(DeskError, on_desk_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
