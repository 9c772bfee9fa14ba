"""Settings for the benchmark servers: the project's, plus a bare comparison view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bare_urls"
