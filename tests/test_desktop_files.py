"""Linux desktop integration (packaging/linux): the desktop entry, AppStream metadata, icons and the
.wbsession MIME type pass their validators, carry one application id (the one the app gives Qt),
install for a user with install-desktop.sh, and ``workbench FILE`` opens the session FILE."""

import configparser
import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workbench import __version__
from workbench.app import APP_ID, _take_files, build_parser, open_in_other_windows, other_window_command

REPO = Path(__file__).resolve().parent.parent
LINUX = REPO / "packaging" / "linux"
SHARE = LINUX / "share"
DESKTOP = SHARE / "applications" / f"{APP_ID}.desktop"
METAINFO = SHARE / "metainfo" / f"{APP_ID}.metainfo.xml"
MIME = SHARE / "mime" / "packages" / f"{APP_ID}.xml"
HICOLOR = SHARE / "icons" / "hicolor"
APP_SVG = REPO / "resources" / "icons" / "app.svg"
XOR = REPO / "resources" / "sessions" / "xor.wbsession"
MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
SESSION_TYPE = "application/x-workbench-session"
PNG_SIZES = (48, 64, 128, 256, 512)


def _entry(path=DESKTOP) -> dict:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str                      # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _list(value: str) -> list[str]:
    assert value.endswith(";"), f"{value!r}: a desktop-entry list ends with ';'"
    return value[:-1].split(";")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


def _validator(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


# --- the validators -------------------------------------------------------------------------------

def test_the_desktop_entry_passes_desktop_file_validate():
    result = subprocess.run([_validator("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "error:" not in report and "warning:" not in report, report


def test_the_metainfo_passes_appstreamcli_validate():
    result = subprocess.run([_validator("appstreamcli"), "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "E:" not in result.stdout and "W:" not in result.stdout, result.stdout


def test_the_mime_package_is_accepted_by_update_mime_database(tmp_path):
    tool = _validator("update-mime-database")
    (tmp_path / "mime" / "packages").mkdir(parents=True)
    shutil.copy(MIME, tmp_path / "mime" / "packages")
    result = subprocess.run([tool, str(tmp_path / "mime")], capture_output=True, text=True)
    assert result.returncode == 0 and "rror" not in result.stderr, result.stderr
    assert f"{SESSION_TYPE}:*.wbsession" in (tmp_path / "mime" / "globs2").read_text()
    assert f"{SESSION_TYPE} application/json" in (tmp_path / "mime" / "subclasses").read_text()


# --- one application id everywhere ----------------------------------------------------------------

def test_one_application_id_in_every_file_and_in_the_app():
    assert APP_ID.count(".") >= 2 and all(part.isidentifier() for part in APP_ID.split("."))
    entry = _entry()
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == "workbench %F" and entry["TryExec"] == "workbench"
    assert {"Education", "Science"} <= set(_list(entry["Categories"]))
    assert _list(entry["MimeType"]) == [SESSION_TYPE]
    assert entry["StartupWMClass"] == "Workbench"   # the class Qt gives the window (its application name)

    meta = ET.parse(METAINFO).getroot()
    assert meta.get("type") == "desktop-application"
    assert meta.findtext("id") == APP_ID
    assert meta.find("launchable[@type='desktop-id']").text == DESKTOP.name
    assert meta.findtext("name") == entry["Name"] == "Workbench"
    assert {b.text for b in meta.iterfind("provides/binary")} == {"workbench", "workbench-cli"}
    assert [m.text for m in meta.iterfind("provides/mediatype")] == [SESSION_TYPE]
    assert meta.find("content_rating").get("type").startswith("oars-")
    assert meta.findtext("project_license") == "MIT"

    mime = ET.parse(MIME).getroot().find("m:mime-type", MIME_NS)
    assert mime.get("type") == SESSION_TYPE
    assert mime.find("m:icon", MIME_NS).get("name") == APP_ID

    icons = sorted(p.relative_to(HICOLOR).as_posix() for p in HICOLOR.rglob("*") if p.is_file())
    assert icons == sorted([f"scalable/apps/{APP_ID}.svg"] + [f"{n}x{n}/apps/{APP_ID}.png" for n in PNG_SIZES])
    # The window's own id (QGuiApplication.desktopFileName): see the last test below.


def test_the_executables_named_are_the_installed_commands():
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"workbench": "workbench.app:main", "workbench-cli": "workbench.cli:main"}
    spec = (REPO / "packaging" / "workbench.spec").read_text(encoding="utf-8")
    assert 'executable(window, "workbench")' in spec and 'executable(cli, "workbench-cli")' in spec


def test_the_metainfo_release_and_screenshots_match_the_repository():
    meta = ET.parse(METAINFO).getroot()
    releases = meta.findall("releases/release")
    assert releases and releases[0].get("version") == __version__
    shots = meta.findall("screenshots/screenshot")
    assert len(shots) >= 2 and sum(s.get("type") == "default" for s in shots) == 1
    for shot in shots:
        url = shot.findtext("image")
        assert url.startswith("https://") and shot.findtext("caption")
        picture = REPO / url.split("/main/", 1)[1]
        assert picture.is_file() and _png_size(picture)[0] >= 620, url  # AppStream asks for ≥ 620 px wide


# --- icons ----------------------------------------------------------------------------------------

def test_the_scalable_icon_is_the_apps_icon():
    assert (HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == APP_SVG.read_bytes()


def test_the_pngs_are_rendered_from_the_apps_icon(qapp):
    """Each PNG has its size and matches app.svg rendered now: after an edit of app.svg this fails
    until packaging/linux/render-icons.py has been run again."""
    import importlib.util

    from PySide6.QtGui import QImage

    spec = importlib.util.spec_from_file_location("render_icons", LINUX / "render-icons.py")
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)
    assert render_icons.SIZES == PNG_SIZES
    for size in PNG_SIZES:
        path = render_icons.png_path(size, APP_ID)
        assert _png_size(path) == (size, size)
        committed = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        fresh = render_icons.render(APP_SVG, size)
        a = _pixels(committed, size)
        b = _pixels(fresh, size)
        assert a[..., 3].min() == 0 and a[..., 3].max() == 255      # transparent corners, an opaque body
        assert float(abs(a.astype(int) - b.astype(int)).mean()) < 1.0, f"{path} is stale: run render-icons.py"


def _pixels(image, size):
    import numpy as np

    stride = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * size).reshape(size, stride)
    return data[:, : size * 4].reshape(size, size, 4).copy()


# --- the MIME type --------------------------------------------------------------------------------

def test_the_mime_type_globs_and_its_magic_matches_what_workbench_writes(tmp_path):
    from workbench.core.sessionfile import load_session, save_session

    mime = ET.parse(MIME).getroot().find("m:mime-type", MIME_NS)
    assert [g.get("pattern") for g in mime.iterfind("m:glob", MIME_NS)] == ["*.wbsession"]
    assert mime.find("m:sub-class-of", MIME_NS).get("type") == "application/json"
    match = mime.find("m:magic/m:match", MIME_NS)
    assert match.get("type") == "string"
    start, end = (int(v) for v in match.get("offset").split(":"))
    saved = tmp_path / "saved.wbsession"
    save_session(str(saved), load_session(str(XOR)))
    for path in (saved, XOR, *sorted((REPO / "resources" / "labs").glob("*.wbsession"))):
        head = path.read_bytes()[: end + len(match.get("value"))]
        assert head.find(match.get("value").encode(), start) != -1, f"the magic misses {path.name}"
    assert json.loads(saved.read_text())["format"] == "workbench-session"


# --- install-desktop.sh ---------------------------------------------------------------------------

def _fake_bundle(tmp_path) -> Path:
    """A folder shaped like a built bundle (workbench, workbench-cli, _internal/), at a path with a
    space, a quote and a dollar sign, which the desktop entry has to quote."""
    bundle = tmp_path / 'my apps' / 'work"bench $HOME'
    (bundle / "_internal").mkdir(parents=True)
    for name in ("workbench", "workbench-cli"):
        (bundle / name).write_text("#!/bin/sh\nexit 0\n")
        (bundle / name).chmod(0o755)
    return bundle


def _install(tmp_path, *args):
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "share"), "XDG_BIN_HOME": str(home / "bin")}
    result = subprocess.run(["bash", str(LINUX / "install-desktop.sh"), *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return home, result


def _mime_of(data_home: Path, *paths: Path) -> list[str]:
    """What Qt's MIME database (as the window's file dialogs see it) says each file is, with the
    user's data folder at ``data_home``; "name inherits-json" per path."""
    code = ("import sys; from PySide6.QtCore import QMimeDatabase; db = QMimeDatabase()\n"
            "for p in sys.argv[1:]:\n"
            "    t = db.mimeTypeForFile(p); print(t.name(), t.inherits('application/json'))")
    env = {**os.environ, "XDG_DATA_HOME": str(data_home), "XDG_DATA_DIRS": "/nonexistent"}
    result = subprocess.run([sys.executable, "-c", code, *map(str, paths)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[:-1]


def test_install_desktop_installs_for_the_user_and_uninstalls(tmp_path):
    bundle = _fake_bundle(tmp_path)
    home, result = _install(tmp_path, "--bundle", str(bundle))
    data = home / "share"
    for path in SHARE.rglob("*"):
        if path.is_file():
            assert (data / path.relative_to(SHARE)).is_file(), path
    installed = data / "applications" / DESKTOP.name
    entry = _entry(installed)
    # Exec quoting: \ " ` $ backslashed inside the quotes, then every backslash doubled (string escape).
    quoted = str(bundle / "workbench").replace('"', '\\\\"').replace("$", "\\\\$")
    assert entry["Exec"] == f'"{quoted}" %F', entry["Exec"]
    assert entry["TryExec"] == str(bundle / "workbench")
    assert {k: v for k, v in entry.items() if k not in ("Exec", "TryExec")} == \
        {k: v for k, v in _entry().items() if k not in ("Exec", "TryExec")}
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert check.returncode == 0 and "error" not in check.stdout, check.stdout
    for name in ("workbench", "workbench-cli"):
        assert os.readlink(home / "bin" / name) == str(bundle / name)
    if shutil.which("update-mime-database"):
        assert (data / "mime" / "mime.cache").is_file()

    session = tmp_path / "trained.wbsession"
    shutil.copy(XOR, session)
    no_suffix = tmp_path / "session-without-suffix"     # found by its content: the magic
    shutil.copy(XOR, no_suffix)
    assert _mime_of(data, session, no_suffix) == [f"{SESSION_TYPE} True"] * 2
    assert _mime_of(tmp_path / "empty", session)[0] != SESSION_TYPE

    _home, result = _install(tmp_path, "--uninstall")
    left = [p.relative_to(data).as_posix() for p in data.rglob(f"{APP_ID}*")]
    assert left == [] and not (home / "bin" / "workbench").exists() and not (home / "bin" / "workbench-cli").exists()
    assert _mime_of(data, session)[0] != SESSION_TYPE


def test_install_desktop_without_a_bundle_starts_workbench_from_path(tmp_path):
    home, result = _install(tmp_path)
    entry = _entry(home / "share" / "applications" / DESKTOP.name)
    assert entry["Exec"] == "workbench %F" and not (home / "bin").exists()


def test_install_desktop_refuses_a_folder_without_the_executable(tmp_path):
    result = subprocess.run(["bash", str(LINUX / "install-desktop.sh"), "--bundle", str(tmp_path)],
                            env={**os.environ, "HOME": str(tmp_path / "home")}, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no workbench executable" in result.stderr
    assert not (tmp_path / "home").exists()


# --- workbench FILE -------------------------------------------------------------------------------

def test_file_arguments_open_the_first_and_the_rest_in_windows_of_their_own():
    parser = build_parser()
    args = parser.parse_args(["a.wbsession", "b.wbsession", "c.wbsession"])
    assert _take_files(parser, args) == ["b.wbsession", "c.wbsession"] and args.session == "a.wbsession"
    started = []
    assert open_in_other_windows(["b.wbsession", "c.wbsession"], start=lambda p, a: started.append((p, a)) or True) == []
    assert started == [other_window_command("b.wbsession"), other_window_command("c.wbsession")]
    assert open_in_other_windows(["b.wbsession"], start=lambda p, a: (False, 0)) == ["cannot start a window for b.wbsession."]


@pytest.mark.parametrize("argv, words", [
    (["a.wbsession", "--session", "b.wbsession"], "give the session as FILE or with --session, not both"),
    (["a.wbsession", "--lab", "universality"], "give the session as FILE or with --lab, not both"),
    (["a.wbsession", "b.wbsession", "--save-weights", "w.npz"], "a scripted run opens one session"),
])
def test_file_arguments_that_conflict_are_refused(argv, words, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit) as exit_:
        _take_files(parser, parser.parse_args(argv))
    assert exit_.value.code == 2 and words in capsys.readouterr().err


def test_the_other_window_command_starts_this_workbench_from_any_folder(tmp_path):
    program, arguments = other_window_command("-odd name.wbsession")   # a path like an option stays a path
    assert arguments[-2:] == ["--session", "-odd name.wbsession"]
    result = subprocess.run([program, *arguments, "--list-views"], cwd=tmp_path,   # prints the views, exits
                            capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    assert "output-map" in result.stdout


def test_workbench_file_opens_that_session_and_names_itself_after_the_desktop_entry(tmp_path):
    doc = json.loads(XOR.read_text(encoding="utf-8"))
    doc["name"] = "Opened by its path"
    session = tmp_path / "opened.wbsession"
    session.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "saved.wbsession"
    code = ("import sys; from PySide6.QtGui import QGuiApplication; from workbench.app import main\n"
            "code = main(sys.argv[1:]); print(QGuiApplication.desktopFileName()); raise SystemExit(code)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_SETTINGS": str(tmp_path / "s.ini")}
    result = subprocess.run([sys.executable, "-c", code, str(session), "--save-session", str(out)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [APP_ID]
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "Opened by its path"
