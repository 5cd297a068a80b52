"""The served OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator),
so clients and schemathesis read it as we meant it."""

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def test_served_document_passes_openapi_spec_validator(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on the first error


def test_the_validator_does_catch_an_undeclared_path_parameter(app):
    # The check above could pass vacuously; this is the bug it exists for.
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    doc["paths"]["/x/{thing}"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    try:
        validate(doc)
    except OpenAPIValidationError as exc:
        assert "thing" in str(exc)
    else:
        raise AssertionError("an undeclared path parameter passed validation")
