"""Client input the API must answer with 4xx, never 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    ["1662-01-19T03:14:09.434+21:07", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "not-a-date"],
)
def test_date_filters_with_odd_offsets_never_500(value, django_user_model):
    from rest_framework.test import APIClient

    lead = django_user_model.objects.create_superuser("filter-lead", "f@example.org", "pw-for-tests-1")
    client = APIClient()
    client.force_authenticate(lead)
    for route in ("assignments", "annotations", "articles"):
        response = client.get(f"/api/v1/{route}/", {"created_after": value})
        assert response.status_code in (200, 400), (route, value, response.status_code)


@pytest.mark.parametrize("value", ["-3.3890413272784883e+136", "1e80", "99999999999999999999", "1.5", "abc"])
def test_id_filters_with_absurd_numbers_never_500(value, django_user_model):
    from rest_framework.test import APIClient

    lead = django_user_model.objects.create_superuser("filter-lead", "f@example.org", "pw-for-tests-1")
    client = APIClient()
    client.force_authenticate(lead)
    for route, name in (
        ("annotations", "outlet"),
        ("articles", "outlet"),
        ("assignments", "article"),
        ("sources", "side"),
        ("scores", "run"),
        ("adjudications", "sentence"),
        ("adjudications", "lead"),
    ):
        response = client.get(f"/api/v1/{route}/", {name: value})
        assert response.status_code == 400, (route, name, value, response.status_code)
