"""Phone rules end to end: an Android file-system tar and an iOS backup, scanned."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from vigil.indicators.findings import case_findings
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store

from ..disk.images import picture
from .samples import ios_backup

ANDROID = {
    "data/media/0/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg": picture(1),
    "data/media/0/Android/media/org.telegram.messenger/Telegram/Telegram Images/2.jpg": picture(2),
    "data/data/com.thinkyeah.galleryvault/databases/galleryvault.db": b"x" * 40,
    "data/media/0/.vaultydata/0001.vdata": picture(3),
    "data/system/packages.xml": b"<packages />",
    "data/data/com.google.android.apps.docs/files/x": b"y",
    "data/media/0/DCIM/Camera/IMG_2.jpg": picture(4),
}


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _rules(store: Store, case: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in case_findings(store, case):
        out.setdefault(f["rule_id"], []).append(f["item"] or "")
    return out


def test_android_file_system_tar(store: Store, tmp_path: Path) -> None:
    (tmp_path / "ffs.tar").write_bytes(_tar(ANDROID))
    run_scan(store, [tmp_path / "ffs.tar"], ScanOptions(case="A", workers=1))
    found = _rules(store, "A")
    expected = {
        "phone-whatsapp-media": "WhatsApp Images",
        "phone-telegram-media": "Telegram Images",
        "phone-vault-android": "galleryvault",
        "phone-vault-stores": ".vaultydata",
        "phone-installed-apps-android": "packages.xml",
        "phone-cloud-apps": "apps.docs",
        "phone-android-extraction": "data/",
    }
    for rule, where in expected.items():
        assert any(where in item for item in found.get(rule, [])), (rule, found.get(rule))
    assert "phone-ios-extraction" not in found


def test_ios_backup(store: Store, tmp_path: Path) -> None:
    media = "Message/Media/447700900000@s.whatsapp.net/a/b/IMG.jpg"
    files: list[Any] = [
        ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", media, picture(5)),
        ("AppDomain-com.enchantedcloud.photovault", "Library/x.dat", b"v" * 10),
        ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG", picture(6)),
    ]
    ios_backup(tmp_path / "ev" / "iphone", files)
    run_scan(store, [tmp_path / "ev"], ScanOptions(case="I", workers=1))
    found = _rules(store, "I")
    assert any("IMG.jpg" in i or "WhatsApp" in i for i in found["phone-whatsapp-media"])
    assert "phone-vault-ios" in found
    assert "phone-ios-extraction" in found
    assert "phone-android-extraction" not in found
