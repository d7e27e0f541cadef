"""One error page for every status: titled, with ``lang``, in plain words; JSON for scripts."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from vigil.web.app import error_title

HTML = {"Accept": "text/html"}


def test_a_validation_error_is_the_error_page_not_json(
    client_for: Callable[[str | None], TestClient],
) -> None:
    response = client_for("ada").get("/admin/unassign?name=eve", headers=HTML)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in response.text
    assert "<title>Not a valid address or form (error 422)" in response.text
    assert "<h1>Not a valid address or form</h1>" in response.text
    assert "Case: Field required." in response.text, response.text[-400:]
    assert '"detail"' not in response.text


def test_scripts_still_get_json_for_validation_errors(
    client_for: Callable[[str | None], TestClient],
) -> None:
    answer = client_for("ada").get("/admin/unassign?name=eve", headers={"Accept": "*/*"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "case"]


def test_a_case_id_that_is_no_number_is_the_not_found_page(
    client_for: Callable[[str | None], TestClient],
) -> None:
    response = client_for("eve").get("/cases/abc", headers=HTML)
    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert "<h1>Not found</h1>" in response.text and "No such case." in response.text


def test_not_found_and_forbidden_pages_are_titled_in_sentence_case(
    client_for: Callable[[str | None], TestClient],
) -> None:
    missing = client_for("eve").get("/cases/999999", headers=HTML)
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in missing.text
    refused = client_for("eve").get("/admin", headers=HTML)
    assert refused.status_code == 403
    assert "<h1>Not allowed</h1>" in refused.text
    message = refused.text.split('<p class="error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message[0].isupper() and message.endswith("."), message


def test_every_status_has_a_heading() -> None:
    assert error_title(500) == "Something went wrong"
    assert error_title(503) == "Something went wrong"
    assert error_title(418) == "The request was not understood"
