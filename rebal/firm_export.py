"""All of one firm's data as a zip of CSV files, for offboarding and hand-over.

Every table with a `firm_id` column — the firm's data, its records and their history — is copied
inside the firm's own context, so row-level security applies as for any other read and nothing of
another firm can come along. `manifest.json` lists each file with its rows and SHA-256, and the
people of the firm are listed in `members.csv` (users are not firm-owned rows).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from psycopg2 import sql

from rebal.db_security import firm_owned_tables
from rebal.firm_context import firm_context
from rebal.models import Firm, Membership

CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportedFile:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class FirmExport:
    path: Path
    files: list[ExportedFile]
    sha256: str  # of the zip itself


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _copy_table(cursor, table: str, firm_id: int, scratch: Path) -> int:
    """COPY the firm's rows of `table` to `scratch`; returns the number of data rows."""
    query = sql.SQL("COPY (SELECT * FROM {} WHERE firm_id = {} ORDER BY 1) TO STDOUT "
                    "WITH (FORMAT csv, HEADER true)").format(sql.Identifier(table),
                                                             sql.Literal(firm_id))
    with scratch.open("wb") as handle:
        cursor.copy_expert(query.as_string(cursor.connection), handle)
    with scratch.open("rb") as handle:
        return max(sum(1 for _ in csv.reader(io.TextIOWrapper(handle, encoding="utf-8"))) - 1, 0)


def _members_csv(firm: Firm) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "first_name", "last_name", "roles", "is_active"])
    for membership in Membership.objects.filter(firm=firm).select_related("user").order_by(
            "user__email"):
        user = membership.user
        writer.writerow([user.email, user.first_name, user.last_name,
                         " ".join(membership.roles), membership.is_active])
    return out.getvalue().encode()


def firm_export(*, firm: Firm, path: Path) -> FirmExport:
    """Write the firm's data to the zip at `path` (replaced if present)."""
    files: list[ExportedFile] = []
    with tempfile.TemporaryDirectory() as scratch_dir, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        scratch = Path(scratch_dir) / "table.csv"
        with transaction.atomic(), firm_context(firm), connection.cursor() as cursor:
            for table in firm_owned_tables(cursor):
                rows = _copy_table(cursor.cursor, table, firm.pk, scratch)
                archive.write(scratch, f"{table}.csv")
                files.append(ExportedFile(f"{table}.csv", rows, _sha256_of(scratch)))
            members = _members_csv(firm)
        archive.writestr("members.csv", members)
        files.append(ExportedFile("members.csv", members.count(b"\n") - 1,
                                  hashlib.sha256(members).hexdigest()))
        manifest = {
            "firm": {"code": firm.code, "name": firm.name, "timezone": firm.timezone,
                     "is_active": firm.is_active},
            "exported_at": timezone.now().isoformat(),
            "files": [file.__dict__ for file in files],
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return FirmExport(path=path, files=files, sha256=_sha256_of(path))
