"""Our disks failing while a file arrives: the file is never lost and the data manager is told.

- The file store is full (a small tmpfs filled to the last byte): nothing is recorded, the file
  stays in the inbox (an upload is answered 507, to be sent again), an alert fires; once there
  is room, the next scan loads it.
- The inbox is read-only (a read-only bind mount): the file loads but cannot be moved aside; it
  stays where it is, is never loaded twice, and an alert says so; once writable, it is moved.

Real mounts need root (as in CI); elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from dataops.models import FeedFile
from dataops.services.inbox import PROCESSED, inbox_path, inbox_scan
from rebal.firm_context import firm_context
from rebal.models import Alert
from tests import feed_files as ff

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs or a read-only bind needs root"),
]
NAME = "securities_20261124.csv"


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextmanager
def full_disk(folder: Path) -> Iterator[None]:
    """`folder` on a 64 KiB tmpfs with every byte taken."""
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder))
    try:
        with (folder / "filler").open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,bind,ro", str(folder))
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def dirs(tmp_path):
    with override_settings(FEED_INBOX=tmp_path / "inbox", STATE_DIR=tmp_path / "state"):
        inbox = inbox_path("ALICE")
        inbox.mkdir(parents=True)
        yield inbox, tmp_path / "state" / "feeds"


def test_a_full_store_keeps_the_file_in_the_inbox_and_alerts(alice_firm, dirs):
    inbox, store = dirs
    ff.write(inbox, NAME, ff.securities())
    with firm_context(alice_firm.firm):
        with full_disk(store):
            assert inbox_scan() == []
            assert (inbox / NAME).exists(), "the file is not lost"
            assert not FeedFile.objects.exists(), "nothing half-recorded"
            alert = Alert.objects.get(kind="feed_not_stored")
            assert alert.severity == "critical" and alert.roles == ["data_manager"]
            assert NAME in alert.message and "No space left on device" in alert.message
            assert inbox_scan() == []  # still full: tried again, folded into the same alert
            assert Alert.objects.get(kind="feed_not_stored").occurrences == 2
        received = inbox_scan()  # room again
        assert [(f.name, f.status) for f in received] == [(NAME, "loaded")]
        assert not (inbox / NAME).exists()
        assert (inbox / PROCESSED / f"{received[0].pk}_{NAME}").exists()


def test_an_upload_to_a_full_store_is_answered_507_and_alerted(alice_firm, dirs, feeds_token):
    _, store = dirs
    client, _ = feeds_token
    with full_disk(store):
        response = client.post("/api/v1/feeds/", {
            "file": SimpleUploadedFile(NAME, ff.securities(), content_type="text/csv")})
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "not_stored" and "must be sent again" in error["message"]
    with firm_context(alice_firm.firm):
        assert not FeedFile.objects.exists()
        assert Alert.objects.filter(kind="feed_not_stored", subject=f"file {NAME}").exists()


def test_a_read_only_inbox_loads_once_keeps_the_file_and_alerts(alice_firm, dirs):
    inbox, _ = dirs
    (inbox / PROCESSED).mkdir()
    ff.write(inbox, NAME, ff.securities())
    with firm_context(alice_firm.firm):
        with read_only(inbox):
            received = inbox_scan()
            assert [(f.name, f.status) for f in received] == [(NAME, "loaded")]
            assert (inbox / NAME).exists()
            alert = Alert.objects.get(kind="inbox_unwritable")
            assert f"received as file {received[0].pk}" in alert.message
            assert inbox_scan() == []  # recognized, not loaded twice
            assert FeedFile.objects.count() == 1
        assert inbox_scan() == []  # writable again: moved aside, still not loaded again
        assert FeedFile.objects.count() == 1
        assert not (inbox / NAME).exists()
        assert (inbox / PROCESSED / f"{received[0].pk}_{NAME}").exists()
        # The same file sent again later is a new delivery (a recorded duplicate), as before.
        ff.write(inbox, NAME, ff.securities())
        assert [f.status for f in inbox_scan()] == ["duplicate"]
