"""The read API against its own OpenAPI document, property-based (schemathesis): generated
requests for every operation, valid and not, never get a 5xx, and every answer fits the
documented status codes, content types and schemas."""

import os

import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import TestCase, override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.site_support import create_hidden_stories, import_published

EXAMPLES = int(os.environ.get("API_SCHEMA_EXAMPLES", "60"))


@override_settings(NEWSROOM_API_RATE=(1_000_000, 60), NEWSROOM_API_CHANGES_SETTLE=0)
class OpenApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        create_hidden_stories()

    def test_no_operation_answers_5xx_or_outside_its_schema(self):
        cache.clear()
        # As Django's test client does: requests must not close the test's connection (and its
        # transaction) when they finish.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
        try:
            self.check_every_operation()
        finally:
            for signal in (request_started, request_finished):
                signal.connect(close_old_connections)

    def check_every_operation(self):
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertGreaterEqual(len(operations), 7)
        for operation in operations:  # a failure names its request

            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                response = case.call()
                self.assertLess(response.status_code, 500, f"{case.path} {case.query}: {response.text[:300]}")
                # A slug, a cursor or a field name the schema cannot enumerate is a 400 by
                # design: the check that every schema-valid request succeeds is left out.
                case.validate_response(response, excluded_checks=[positive_data_acceptance])

            check()
