"""Outlets added or changed in the admin keep the normalised domain that ingest gives them."""

import pytest
from django.urls import reverse

from annotate.models import Outlet

pytestmark = pytest.mark.django_db


def test_an_outlet_added_in_the_admin_gets_a_normalised_domain(admin_client):
    url = reverse("admin:annotate_outlet_add")
    response = admin_client.post(url, {"domain": "https://WWW.Example.org/world", "name": "Example"})
    assert response.status_code == 302
    assert list(Outlet.objects.values_list("domain", flat=True)) == ["example.org"]
    response = admin_client.post(url, {"domain": "www.example.org", "name": "Again"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    response = admin_client.post(url, {"domain": "Sky News", "name": "Sky"})
    assert response.status_code == 200
    assert "not a domain" in response.content.decode()
    assert Outlet.objects.count() == 1
