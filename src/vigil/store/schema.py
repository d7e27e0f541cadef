"""Table definitions (SQLAlchemy Core). Changes go through Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

hashset = Table(
    "hashset",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("scheme", String(500), nullable=False),
    Column("known_good", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("current_version_id", Integer, nullable=True),
    # Bumped by every change to the set's entries (an import, a grade): derived
    # indexes compare it to skip re-reading sets that did not change (rev 0004).
    Column("revision", BigInteger, nullable=False, default=0, server_default="0"),
)

hashset_version = Table(
    "hashset_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hashset_id", Integer, ForeignKey("hashset.id", ondelete="CASCADE"), nullable=False),
    Column("version", String(200), nullable=True),
    Column("source_date", String(64), nullable=True),
    Column("source_path", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("format", String(32), nullable=False),
    Column("entry_count", BigInteger, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("info", JSON, nullable=True),
    Index("ix_hashset_version_set", "hashset_id"),
)

hash_entry = Table(
    "hash_entry",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("hashset_id", Integer, ForeignKey("hashset.id", ondelete="CASCADE"), nullable=False),
    Column("md5", LargeBinary(16), nullable=True),
    Column("sha1", LargeBinary(20), nullable=True),
    Column("sha256", LargeBinary(32), nullable=True),
    Column("pdq", LargeBinary(32), nullable=True),
    Column("pdq_quality", SmallInteger, nullable=True),
    Column("category", String(64), nullable=True),
    Column("name", Text, nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("media_id", String(64), nullable=True),
    Column("extra", JSON(none_as_null=True), nullable=True),
    Index("ix_hash_entry_set", "hashset_id"),
    Index("ix_hash_entry_md5", "md5"),
    Index("ix_hash_entry_sha1", "sha1"),
    Index("ix_hash_entry_sha256", "sha256"),
)

# The frames of a listed video (an entry of a video set: vPDQ features), rev 0012.
hash_entry_frame = Table(
    "hash_entry_frame",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", BigInteger, ForeignKey("hash_entry.id", ondelete="CASCADE"), nullable=False),
    Column("frame_number", Integer, nullable=False),
    Column("timestamp_s", Float, nullable=False),
    Column("pdq", LargeBinary(32), nullable=False),
    Column("quality", SmallInteger, nullable=False),
    UniqueConstraint("entry_id", "frame_number", name="uq_hash_entry_frame_entry_frame"),
)

# --- cases -----------------------------------------------------------------

case = Table(
    "case_",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("scheme", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
)

scan_run = Table(
    "scan_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("examiner", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # running, complete
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("resumed_count", Integer, nullable=False, default=0),
    Column("elapsed_s", Float, nullable=False, default=0.0),
    Column("params", JSON, nullable=False),
    Column("versions", JSON, nullable=False),
    Column("hashsets", JSON, nullable=False),
)

# A seized item (a phone, a disk image, a folder of copied files) as the case
# refers to it: ``reference`` (e.g. "JS/1") is what reports print. Every scan
# of it is one ``evidence`` row; only the latest finished one counts (rev 0005).
exhibit = Table(
    "exhibit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("description", Text, nullable=True),
    Column("seized_at", Text, nullable=True),  # where
    Column("seized_when", String(32), nullable=True),  # ISO 8601 date or date-time
    Column("path", Text, nullable=False),  # for people: odd bytes escaped
    Column("path_bytes", LargeBinary, nullable=False),  # resolved, to spot a second scan
    Column("kind", String(16), nullable=False),  # folder, file
    Column("sha256", String(64), nullable=True),  # of the image or container file, when known
    Column("size", BigInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("case_id", "reference", name="uq_exhibit_case_reference"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("scan_run.id", ondelete="CASCADE"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("path", Text, nullable=False),  # for people: odd bytes escaped
    Column("path_bytes", LargeBinary, nullable=False),  # exact, for resuming
    Column("kind", String(16), nullable=False),  # folder, file
    Column("sha256", String(64), nullable=True),
    Column("size", BigInteger, nullable=True),
    # What the container says about itself (E01 acquisition metadata, its
    # verification result, the partition layout …); added in revision 0002.
    Column("info", JSON, nullable=True),
    # The exhibit this PATH of the run scans (rev 0005; set on every row since).
    Column("exhibit_id", Integer, ForeignKey("exhibit.id"), nullable=True),
    UniqueConstraint("run_id", "ordinal", name="uq_evidence_run_ordinal"),
)

# One row per top-level task of a scan, committed with all of its items: the
# unit of resumption. A task present here is complete; one absent is redone.
scan_task = Table(
    "scan_task",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("scan_run.id", ondelete="CASCADE"), nullable=False),
    Column("task_key", Text, nullable=False),
    Column("item_count", Integer, nullable=False),
    UniqueConstraint("run_id", "task_key", name="uq_scan_task_key"),
)

item = Table(
    "item",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("scan_run.id", ondelete="CASCADE"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("locator", Text, nullable=False),
    Column("display", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("depth", SmallInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("mtime", Float, nullable=True),
    Column("file_type", String(32), nullable=True),
    Column("family", String(16), nullable=True),
    Column("ext_mismatch", Boolean, nullable=False, default=False),
    Column("location", String(16), nullable=False),  # live, archive, deleted, carved
    Column("md5", LargeBinary(16), nullable=True),
    Column("sha1", LargeBinary(20), nullable=True),
    Column("sha256", LargeBinary(32), nullable=True),
    Column("pdq", LargeBinary(32), nullable=True),
    Column("pdq_quality", SmallInteger, nullable=True),
    Column("pdq_variants", LargeBinary(256), nullable=True),
    Column("orientation", SmallInteger, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("review", String(16), nullable=False),  # known, hit, unknown, none
    Column("attrs", JSON, nullable=True),
    # A picture's EXIF, read once by the scan (scan/exif.py; rev 0009). ``exif_taken``
    # is ISO 8601 camera time (sorts as text); GPS coordinates are shown only on request.
    Column("exif_taken", String(32), nullable=True),
    Column("camera_make", String(200), nullable=True),
    Column("camera_model", String(200), nullable=True),
    Column("exif_software", String(200), nullable=True),
    Column("gps_present", Boolean, nullable=True),
    Column("gps_lat", Float, nullable=True),
    Column("gps_lon", Float, nullable=True),
    UniqueConstraint("run_id", "locator", name="uq_item_locator"),
    Index("ix_item_run_status", "run_id", "status"),
    Index("ix_item_md5", "md5"),
    Index("ix_item_evidence_display", "evidence_id", "display"),  # the explorer's pages
)

# Officers' tags on items (a bookmark is the tag "bookmark") and notes on a case:
# their own words, each with who and when, and audited (rev 0014).
item_tag = Table(
    "item_tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", BigInteger, ForeignKey("item.id", ondelete="CASCADE"), nullable=False),
    Column("tag", String(64), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("item_id", "tag", name="uq_item_tag"),
    Index("ix_item_tag_case_tag", "case_id", "tag"),
)

case_note = Table(
    "case_note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_case_note_case", "case_id"),
)

# The kept frames of a scanned video (vPDQ features: sampled, cuts, near-repeats
# collapsed), written with the item in one transaction (rev 0012).
video_frame = Table(
    "video_frame",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", BigInteger, ForeignKey("item.id", ondelete="CASCADE"), nullable=False),
    Column("frame_number", Integer, nullable=False),
    Column("timestamp_s", Float, nullable=False),
    Column("pdq", LargeBinary(32), nullable=False),
    Column("quality", SmallInteger, nullable=False),
    UniqueConstraint("item_id", "frame_number", name="uq_video_frame_item_frame"),
)

# One revision of a run's results: the matches a scan made (kind "scan"), or a
# re-match of its items against the library of the day (kind "rematch"). The
# number counts per case, so "revision 2" names one re-match of every run.
# Earlier revisions are kept: a report can show any of them (rev 0007).
result_revision = Table(
    "result_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", Integer, ForeignKey("scan_run.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # scan, rematch
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("detail", JSON, nullable=True),
    UniqueConstraint("run_id", "number", name="uq_result_revision_run_number"),
    Index("ix_result_revision_case", "case_id"),
)

# The version of every hash set a result revision matched against, copied at
# match time: the set may later be replaced or removed (no foreign key on purpose).
result_hashset_version = Table(
    "result_hashset_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "result_id",
        Integer,
        ForeignKey("result_revision.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("hashset_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("scheme", String(500), nullable=False),
    Column("known_good", Boolean, nullable=False),
    Column("set_revision", BigInteger, nullable=True),
    Column("version_id", Integer, nullable=True),
    Column("version", String(200), nullable=True),
    Column("source_date", String(64), nullable=True),
    Column("source_sha256", String(64), nullable=True),
    Column("format", String(32), nullable=True),
    Column("entry_count", BigInteger, nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("result_id", "hashset_id", name="uq_result_hashset"),
)

# A hit carries what it meant when it was made (set name, set revision, the
# category's label under the set's scheme, known-good or not), so counting
# never looks at the library again (rev 0007: result_id, set_revision, category_label).
match = Table(
    "match",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", BigInteger, ForeignKey("item.id", ondelete="CASCADE"), nullable=False),
    Column(
        "result_id",
        Integer,
        ForeignKey("result_revision.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("hashset_id", Integer, nullable=False),
    Column("hashset_name", String(200), nullable=False),
    Column("set_revision", BigInteger, nullable=True),
    Column("entry_id", BigInteger, nullable=False),
    Column("algorithm", String(16), nullable=False),  # md5, sha1, sha256, pdq, vpdq
    Column("distance", SmallInteger, nullable=False),
    Column("variant", SmallInteger, nullable=True),
    Column("category", String(64), nullable=True),
    Column("category_label", String(200), nullable=True),
    Column("known_good", Boolean, nullable=False),
    Column("best", Boolean, nullable=False, default=False),
    # A video's hit: the time of the frame it was found at, and the matched
    # segments and shares of frames (rev 0012).
    Column("frame_s", Float, nullable=True),
    Column("detail", JSON, nullable=True),
    Index("ix_match_item", "item_id"),
    Index("ix_match_result", "result_id"),
)

# --- audit and findings ------------------------------------------------------

# Append-only, hash-chained log of every action. One chain per scope: "global"
# for the library and accounts, "case:<id>" for a case. ``seq`` is contiguous
# from 1 within a scope so a deleted entry leaves a gap; ``entry_hash`` is the
# SHA-256 of the entry's canonical form including ``prev_hash``.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("scope", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=True),
    Column("detail", JSON, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    UniqueConstraint("scope", "seq", name="uq_audit_scope_seq"),
)

# Indicator findings (concealment, downloading, storage, sharing) of a scan run.
finding = Table(
    "finding",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("scan_run.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", BigInteger, ForeignKey("item.id", ondelete="CASCADE"), nullable=True),
    Column("rule_id", String(120), nullable=False),
    Column("family", String(64), nullable=False),
    Column("severity", String(16), nullable=False),  # info, low, medium, high
    Column("description", Text, nullable=False),
    Column("locators", JSON, nullable=False),  # list of locator keys it rests on
    Column("detail", JSON, nullable=True),
    Index("ix_finding_run", "run_id"),
)

# --- review web app: accounts, sessions, assignments, grades, exposure -------

# People who log in to the review app. ``role`` is examiner, reviewer or admin;
# ``password_hash`` is an argon2id hash (never the password).
user_account = Table(
    "user_account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)

# The brake on password guessing per client address (accounts/brake.py): the
# login attempts that failed, or are being checked, since ``window_start``. One
# row per address, updated in one statement, so several app processes share it.
login_brake = Table(
    "login_brake",
    metadata,
    Column("client", String(200), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("failures", Integer, nullable=False),
)

# A logged-in browser. Only the SHA-256 of the session token is stored, so a
# copy of the database does not let anyone take over a session.
web_session = Table(
    "web_session",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("client", String(200), nullable=True),
    Index("ix_web_session_user", "user_id"),
)

# Which examiners and reviewers may see which case (admins see every case).
case_assignment = Table(
    "case_assignment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("assigned_by", String(200), nullable=False),
    UniqueConstraint("case_id", "user_id", name="uq_case_assignment"),
)

# One officer's decision on one unknown item, the second grader's view of it,
# and the resolution when the two differ. The item's hashes are copied so the
# grade outlives the scan run it came from.
grade = Table(
    "grade",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", BigInteger, ForeignKey("item.id", ondelete="CASCADE"), nullable=False),
    Column("group_key", String(80), nullable=True),
    Column("md5", LargeBinary(16), nullable=True),
    Column("sha1", LargeBinary(20), nullable=True),
    Column("sha256", LargeBinary(32), nullable=True),
    Column("pdq", LargeBinary(32), nullable=True),
    Column("category", String(64), nullable=False),
    Column("graded_by", String(200), nullable=False),
    Column("graded_at", DateTime(timezone=True), nullable=False),
    Column("second_category", String(64), nullable=True),
    Column("second_by", String(200), nullable=True),
    Column("second_at", DateTime(timezone=True), nullable=True),
    Column("final_category", String(64), nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("item_id", name="uq_grade_item"),
    Index("ix_grade_case", "case_id"),
)

# How many thumbnails each officer was shown per day, and how many revealed.
exposure = Table(
    "exposure",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD, UTC
    Column("thumbnails", Integer, nullable=False, default=0),
    Column("reveals", Integer, nullable=False, default=0),
    UniqueConstraint("user_id", "day", name="uq_exposure_user_day"),
)

# One officer's own settings of the review app, by name (web/user_settings.py
# knows the names and checks the values): grading keys off or remapped, and the
# welfare settings an officer may change for themselves (rev 0011).
user_settings = Table(
    "user_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", String(1000), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# --- across cases: summaries kept current by the scan (rev 0010) --------------

# One row per distinct MD5 of media a case counts (its latest finished scan of
# each exhibit), known-good hits left out: what linkage, first-seen and trends
# read instead of the item table. ``in_set``: the MD5 hit a (not known-good)
# set; ``new_material``: in no set and seen in no earlier case, exactly or by PDQ.
case_hash = Table(
    "case_hash",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), nullable=False),
    Column("md5", LargeBinary(16), nullable=False),
    Column("family", String(16), nullable=False),
    Column("pdq", LargeBinary(32), nullable=True),  # quality ≥ 50 only
    Column("in_set", Boolean, nullable=False),
    Column("instances", Integer, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("new_material", Boolean, nullable=False),
    UniqueConstraint("case_id", "md5", name="uq_case_hash_case_md5"),
    Index("ix_case_hash_md5", "md5"),
)

# Two cases sharing media: distinct MD5s in both (``exact_*``) and PDQ pairs of
# different MD5s within the threshold (``near_*``), split by whether the media
# is in a set (``known``: widely circulated, a weak link) or in none (``new``: a
# strong link). One row per pair, ``case_a`` < ``case_b``.
case_link = Table(
    "case_link",
    metadata,
    Column("case_a", Integer, ForeignKey("case_.id", ondelete="CASCADE"), primary_key=True),
    Column("case_b", Integer, ForeignKey("case_.id", ondelete="CASCADE"), primary_key=True),
    Column("exact_known", Integer, nullable=False),
    Column("exact_new", Integer, nullable=False),
    Column("near_known", Integer, nullable=False),
    Column("near_new", Integer, nullable=False),
    Index("ix_case_link_b", "case_b"),
)

# A case's figures for trends (no names, paths or hashes): one row per case.
case_trend = Table(
    "case_trend",
    metadata,
    Column("case_id", Integer, ForeignKey("case_.id", ondelete="CASCADE"), primary_key=True),
    Column("scanned_at", DateTime(timezone=True), nullable=False),
    Column("figures", JSON, nullable=False),
    Index("ix_case_trend_scanned", "scanned_at"),
)

# Settings of the cross-case views (``min_cases``: the k of k-anonymity).
crosscase_setting = Table(
    "crosscase_setting",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)
