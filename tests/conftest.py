"""Shared fixtures: the shipped project, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drugpolicy_kg.graph.loader import load_dataset, union_graph
from drugpolicy_kg.resources import Project

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.open(ROOT)


@pytest.fixture(scope="session")
def dataset(project):
    return load_dataset(project)


@pytest.fixture(scope="session")
def graph(dataset):
    return union_graph(dataset)


@pytest.fixture(scope="session")
def oxigraph_server():
    from .servers import start_oxigraph

    server = start_oxigraph()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server():
    from .servers import VirtuosoServer

    server = VirtuosoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from .browser import Browser

    b = Browser()
    yield b
    b.close()


FIGURES: dict[str, str] = {}  # figures tests report (fuzz cases, faults injected, requests served)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for key, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{key}: {value}")
