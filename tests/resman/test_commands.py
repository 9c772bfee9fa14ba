"""The simulator's command line and the demo set-up."""

import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command

from companies.models import Company
from conversations.models import Prospect
from properties.models import Property
from resman.models import Unit
from resman.simulator import DEMO_PROPERTY_IDS, ResManSimulator
from tests.factories import CompanyFactory, PropertyFactory


def _free_port() -> int:
    for port in range(8400, 8500):  # this app's port range
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("No free port in 8400-8499")


def test_the_simulator_command_serves_the_seeded_demo_until_told_to_stop():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "resman_simulator", "--port", str(port), "--seed", "--duration", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        state, deadline = None, time.monotonic() + 40  # Django starts in the subprocess first
        while state is None and time.monotonic() < deadline and process.poll() is None:
            try:
                state = requests.get(f"http://127.0.0.1:{port}/_simulator/state", timeout=1).json()
            except requests.ConnectionError:
                time.sleep(0.1)
        assert state is not None, process.stderr.read1().decode() if process.poll() is not None else "not up"
        assert state["properties"] == 2 and state["prospects"] == 50
        requests.post(f"http://127.0.0.1:{port}/_simulator/config", json={"failure_rate": 0.5}, timeout=1)
        assert requests.get(f"http://127.0.0.1:{port}/_simulator/state", timeout=1).json()["failure_rate"] == 0.5
        bad = requests.post(f"http://127.0.0.1:{port}/_simulator/config", json={"nonsense": 1}, timeout=1)
        assert bad.status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.django_db
def test_demo_setup_points_the_company_at_the_simulator_and_syncs():
    company = CompanyFactory(name="Sunrise Living (demo)")
    PropertyFactory(company=company, name="Harbor View Residences")
    PropertyFactory(company=company, name="Maple Court Apartments")
    with ResManSimulator() as simulator:
        simulator.seed_demo()
        out = StringIO()
        call_command("resman_demo_setup", "--simulator-url", simulator.url, stdout=out)
    company = Company.objects.get(pk=company.pk)
    assert company.resman_base_url == simulator.url and company.resman_api_key
    harbor, maple = Property.objects.filter(company=company).order_by("name")
    assert [maple.resman_property_id, harbor.resman_property_id] == DEMO_PROPERTY_IDS  # matched by name
    assert Unit.objects.filter(property=maple).count() == 6
    assert Prospect.objects.filter(company=company).count() == 50
    assert "25 prospects pulled" in out.getvalue()


@pytest.mark.django_db
def test_demo_setup_says_what_is_missing():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("resman_demo_setup", "--company", "Nobody")
    company = CompanyFactory(name="Sunrise Living (demo)")
    PropertyFactory(company=company)
    with pytest.raises(CommandError, match="Is the simulator running"):
        call_command("resman_demo_setup", "--simulator-url", "http://127.0.0.1:9", stdout=StringIO())
