import itertools
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_portal.audit import audit_chain_extend, audit_chain_verify, audit_record
from alliance_portal.audit.chain import GENESIS_HASH, event_hash
from alliance_portal.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import login_with_mfa


def _chained(events: list[AuditEvent]) -> list[AuditEvent]:
    """The events as the chainer linked them (tests run inside a transaction that never
    commits, so the after-commit chaining does not happen on its own)."""
    audit_chain_extend()
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("seq"))


def _record_some(actor, n: int = 5) -> list[AuditEvent]:
    return _chained(
        [
            audit_record(actor=actor, action="test.event", target=actor, payload={"n": i, "x": "é"})
            for i in range(n)
        ]
    )


def _tamper(sql: str, params: list[Any]) -> None:
    """Change the log behind the application's back, as a database administrator could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Bypasses the append-only trigger: needs superuser, like a real attacker with it.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.django_db
class TestChain:
    def test_events_link_to_each_other_and_verify(self, user):
        events = _record_some(user)
        assert events[0].seq == 1 and events[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
            assert after.seq == before.seq + 1
        report = audit_chain_verify()
        assert report.ok and report.checked == 5
        call_command("verify_audit_chain")

    def test_payload_is_stored_as_hashed(self, user):
        import uuid

        value = uuid.uuid4()
        event = audit_record(actor=user, action="test.uuid", payload={"id": value})
        event.refresh_from_db()
        assert event.payload == {"id": str(value)}
        assert audit_chain_verify().ok

    def test_tampered_row_is_named_by_the_command(self, user):
        events = _record_some(user)
        with transaction.atomic():
            _tamper(
                "UPDATE alliance_portal_auditevent SET payload = %s WHERE id = %s",
                ['{"n": 99, "x": "é"}', events[2].pk],
            )
        report = audit_chain_verify()
        assert not report.ok
        assert report.broken_seq == 3
        assert "does not match its hash" in report.reason
        with pytest.raises(CommandError, match=r"row #3 "):
            call_command("verify_audit_chain")

    def test_deleted_row_is_detected(self, user):
        events = _record_some(user)
        with transaction.atomic():
            _tamper("DELETE FROM alliance_portal_auditevent WHERE id = %s", [events[1].pk])
        report = audit_chain_verify()
        assert not report.ok and report.broken_seq == 3
        assert "missing" in report.reason

    def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(self, user):
        from alliance_portal.audit.chain import event_hash

        events = _record_some(user)
        forged = events[1]
        forged.action = "test.forged"
        forged.hash = event_hash(forged)
        with transaction.atomic():
            _tamper(
                "UPDATE alliance_portal_auditevent SET action = %s, hash = %s WHERE id = %s",
                [forged.action, forged.hash, forged.pk],
            )
        report = audit_chain_verify()
        assert report.broken_seq == 3
        assert "previous-hash link" in report.reason

    def test_the_actor_of_an_event_cannot_be_deleted(self, user):
        from django.db.models import ProtectedError

        audit_record(actor=user, action="test.event")
        with pytest.raises(ProtectedError):
            user.delete()


@pytest.mark.postgres
@pytest.mark.django_db
class TestAppendOnlyOnPostgres:
    def test_update_is_refused(self, user):
        event = audit_record(actor=user, action="test.event")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
        event.refresh_from_db()
        assert event.action == "test.event"

    def test_delete_is_refused(self, user):
        event = audit_record(actor=user, action="test.event")
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM alliance_portal_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db
class TestChainingOnPostgres:
    """The trigger lets exactly one change through: the chainer filling in the chain columns
    of a row that has none, nothing else changed."""

    def test_the_chainer_links_an_unchained_row(self, user):
        event = audit_record(actor=user, action="test.event")
        assert (event.seq, event.prev_hash, event.hash) == (None, None, None)
        assert audit_chain_extend() == 1
        event.refresh_from_db()
        assert event.seq == 1 and event.prev_hash == GENESIS_HASH
        assert event.hash == event_hash(event)

    def test_chain_columns_once_set_cannot_be_set_again(self, user):
        [event] = _chained([audit_record(actor=user, action="test.event")])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(seq=7, hash="f" * 64)
        event.refresh_from_db()
        assert event.seq == 1

    def test_content_cannot_change_with_the_chain_columns(self, user):
        event = audit_record(actor=user, action="test.event")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(
                seq=1, prev_hash=GENESIS_HASH, hash="f" * 64, action="test.changed"
            )
        event.refresh_from_db()
        assert event.action == "test.event" and event.seq is None

    def test_an_unchained_row_cannot_be_changed_either(self, user):
        event = audit_record(actor=user, action="test.event")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(payload={"n": 1})
        event.refresh_from_db()
        assert event.payload == {}


@pytest.mark.django_db
def test_the_returned_event_is_the_stored_row(user):
    """audit_record writes with one plain INSERT; what it returns is still the saved row."""
    event = audit_record(
        actor=user, action="test.event", target=user, payload={"n": 1.5}, ip="10.0.0.1"
    )
    assert event.pk is not None and not event._state.adding and event._state.db == "default"
    stored = AuditEvent.objects.get(pk=event.pk)
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(event, field.attname) == getattr(stored, field.attname), field.name
    assert event.actor == user


@pytest.mark.postgres
@pytest.mark.django_db
def test_no_index_on_the_log_repeats_the_start_of_another(user):
    """Every index costs every audited write twice (the insert, the chainer's update): an
    index whose columns begin another index's serves no query the longer one does not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, indkey::text FROM pg_index "
            "WHERE indrelid = 'alliance_portal_auditevent'::regclass AND NOT indisunique "
            "AND indpred IS NULL AND indexprs IS NULL"
        )
        indexes = {name: columns.split() for name, columns in cursor.fetchall()}
    repeated = [
        (short, long)
        for short, columns in indexes.items()
        for long, others in indexes.items()
        if short != long and others[: len(columns)] == columns
    ]
    assert repeated == []


@pytest.fixture
def chain_clock(monkeypatch):
    """This process has not chained yet (another test may have, a moment ago)."""
    from alliance_portal.audit import services

    monkeypatch.setattr(services, "_last_chained", -float("inf"))


@pytest.mark.django_db(transaction=True)
def test_rows_are_chained_when_their_transaction_commits(chain_clock):
    user = UserFactory()
    with transaction.atomic():
        event = audit_record(actor=user, action="test.event")
        audit_record(actor=user, action="test.event")
        # Inside the writer's transaction the row waits, unchained: no lock is held for it.
        assert AuditEvent.objects.get(pk=event.pk).seq is None
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_busy_process_chains_at_most_once_per_interval(chain_clock, settings):
    from alliance_portal.tasks import audit_chain_link

    settings.ALLIANCE_AUDIT_CHAIN_INTERVAL = 3600
    user = UserFactory()
    first = audit_record(actor=user, action="test.event")
    second = audit_record(actor=user, action="test.event")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.seq == 1 and second.seq is None
    # The beat job links what the interval left behind.
    assert audit_chain_link.delay().get() == 1
    second.refresh_from_db()
    assert second.seq == 2 and second.prev_hash == first.hash


@pytest.mark.django_db
def test_the_beat_job_chains_what_is_left(user):
    from alliance_portal.celery import app as celery_app
    from alliance_portal.tasks import audit_chain_link

    assert celery_app.conf.beat_schedule["link-audit-chain"]["task"] == (
        "alliance_portal.tasks.audit_chain_link"
    )
    for _ in range(3):
        audit_record(actor=user, action="test.event")
    assert audit_chain_link.delay().get() == 3
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert audit_chain_link.delay().get() == 0


@pytest.mark.django_db
def test_the_chainer_works_in_batches(user):
    events = [audit_record(actor=user, action="test.event", payload={"n": i}) for i in range(7)]
    assert audit_chain_extend(batch_size=3) == 7
    assert list(AuditEvent.objects.order_by("seq").values_list("pk", flat=True)) == [
        e.pk for e in events
    ]
    assert audit_chain_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    user = UserFactory()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit_record(actor=user, action="test.concurrent", payload={"i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_verify()
    assert report.ok and report.unchained == 0
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 40


@pytest.mark.django_db
class TestAuthenticationEvents:
    def test_login_failed_login_and_logout_are_recorded(self, client):
        user = UserFactory(email="ivan@example.org")
        login = reverse("account_login")
        client.post(login, {"login": "ivan@example.org", "password": "wrong password!"})
        client.post(login, {"login": "ivan@example.org", "password": PASSWORD})
        client.post(reverse("account_logout"))
        rows = list(AuditEvent.objects.order_by("id").values_list("action", "actor", "payload"))
        assert rows == [
            ("auth.login_failed", None, {"login": "ivan@example.org"}),
            ("auth.login", user.pk, {}),
            ("auth.logout", user.pk, {}),
        ]
        assert AuditEvent.objects.filter(action="auth.login").get().ip == "127.0.0.1"
        assert audit_chain_verify().ok


@pytest.mark.django_db
class TestAuditAdmin:
    def test_staff_can_read_and_filter_but_not_change(self, client, staff_user):
        other = UserFactory()
        _record_some(other, 3)
        login_with_mfa(client, staff_user)
        url = reverse("admin:alliance_portal_auditevent_changelist")
        response = client.get(url, {"action": "test.event", "actor__id__exact": other.pk})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 3
        event = AuditEvent.objects.earliest("id")
        detail = client.get(reverse("admin:alliance_portal_auditevent_change", args=[event.pk]))
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content
        delete = reverse("admin:alliance_portal_auditevent_delete", args=[event.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:alliance_portal_auditevent_add")).status_code == 403
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_changelist_queries_do_not_grow_with_rows(
        self, client, staff_user, django_assert_max_num_queries
    ):
        login_with_mfa(client, staff_user)
        url = reverse("admin:alliance_portal_auditevent_changelist")
        _record_some(staff_user, 3)
        client.get(url)  # warm caches (content types, permissions)
        with django_assert_max_num_queries(12) as small:
            client.get(url)
        _record_some(UserFactory(), 40)
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(url)

    def test_member_user_cannot_open_the_log(self, client, user):
        client.force_login(user)
        response = client.get(reverse("admin:alliance_portal_auditevent_changelist"), follow=True)
        # The admin sends non-staff to its login, which refuses a signed-in non-staff user.
        assert response.status_code == 403
        assert b"test.event" not in response.content


@pytest.mark.postgres
@pytest.mark.django_db
def test_truncate_is_refused_on_postgres(user):
    with connection.cursor() as cursor:
        # Switched off for the test database only (see conftest); on for this test.
        cursor.execute(
            "ALTER TABLE alliance_portal_auditevent ENABLE TRIGGER alliance_audit_no_truncate"
        )
    audit_record(actor=user, action="test.event")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the pending foreign-key checks
        cursor.execute("TRUNCATE alliance_portal_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
class TestAnchors:
    def test_the_command_prints_an_anchor_that_later_verifies(self, user, capsys):
        _record_some(user, 3)
        call_command("verify_audit_chain")
        anchor = capsys.readouterr().out.split("Anchor: ")[1].strip()
        assert anchor.startswith("3:")
        _record_some(user, 2)
        call_command("verify_audit_chain", anchor=[anchor])

    def test_rows_cut_off_the_end_are_caught_by_an_anchor(self, user):
        events = _record_some(user, 4)
        anchor = f"{events[-1].seq}:{events[-1].hash}"
        with transaction.atomic():
            _tamper("DELETE FROM alliance_portal_auditevent WHERE seq >= %s", [3])
        assert audit_chain_verify().ok  # the chain alone cannot tell
        with pytest.raises(CommandError, match="removed from its end"):
            call_command("verify_audit_chain", anchor=[anchor])

    def test_a_log_rewritten_with_recomputed_hashes_is_caught_by_an_anchor(self, user):
        from alliance_portal.audit.chain import event_hash

        events = _record_some(user, 3)
        anchor = f"{events[1].seq}:{events[1].hash}"
        prev = events[0].hash
        with transaction.atomic():
            for event in events[1:]:
                event.action = "test.rewritten"
                event.prev_hash = prev
                event.hash = event_hash(event)
                prev = event.hash
                _tamper(
                    "UPDATE alliance_portal_auditevent SET action = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [event.action, event.prev_hash, event.hash, event.pk],
                )
        assert audit_chain_verify().ok
        with pytest.raises(CommandError, match="rewritten"):
            call_command("verify_audit_chain", anchor=[anchor])

    def test_a_malformed_anchor_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="64 hex digits"):
            call_command("verify_audit_chain", anchor=["12:abc"])


@pytest.mark.django_db
class TestStoredAsHashed:
    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("not an address", None),
        ],
    )
    def test_ip_addresses_are_normalised_before_hashing(self, user, given, stored):
        event = audit_record(actor=user, action="test.ip", ip=given)
        event.refresh_from_db()
        assert event.ip == stored
        assert audit_chain_verify().ok

    def test_login_from_an_ipv4_mapped_address_keeps_the_chain(self, client):
        UserFactory(email="ivan@example.org")
        client.post(
            reverse("account_login"),
            {"login": "ivan@example.org", "password": PASSWORD},
            REMOTE_ADDR="::ffff:10.0.0.1",
        )
        assert AuditEvent.objects.get(action="auth.login").ip == "::ffff:10.0.0.1"
        assert audit_chain_verify().ok

    @given(
        payload=st.recursive(
            st.none()
            | st.booleans()
            | st.integers(min_value=-(2**63), max_value=2**63)
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.text(),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=12,
        )
    )
    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    def test_any_json_payload_round_trips_through_the_database(self, user, payload):
        event = audit_record(actor=user, action="test.payload", payload={"value": payload})
        audit_chain_extend()
        stored = AuditEvent.objects.get(pk=event.pk)
        assert event_hash(stored) == stored.hash


def _rewrite_from(events: list[AuditEvent], index: int, **changes) -> None:
    """Rewrite ``events[index]`` with ``changes`` and recompute its hash and every later one,
    as someone who knows the hashing scheme would to hide the change."""
    prev = events[index - 1].hash if index else GENESIS_HASH
    with transaction.atomic():
        for position, event in enumerate(events[index:]):
            if position == 0:
                for field, value in changes.items():
                    setattr(event, field, value)
            event.prev_hash = prev
            event.hash = event_hash(event)
            prev = event.hash
            _tamper(
                "UPDATE alliance_portal_auditevent SET actor_id = %s, actor_label = %s, ip = %s, "
                "action = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [
                    event.actor_id,
                    event.actor_label,
                    event.ip,
                    event.action,
                    event.prev_hash,
                    event.hash,
                    event.pk,
                ],
            )


@pytest.mark.django_db
class TestEveryFieldIsCovered:
    """The hash covers who acted, from where, and the row before: a rewrite of any of them
    that leaves the stored hash alone is named at that row."""

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("actor_id", "other"),
            ("actor_label", "someone-else@example.org"),
            ("ip", "203.0.113.66"),
        ],
    )
    def test_a_rewritten_actor_or_ip_is_caught(self, user, column, value):
        events = _chained(
            [
                audit_record(actor=user, action="test.event", ip="192.0.2.1", payload={"n": i})
                for i in range(4)
            ]
        )
        if value == "other":
            value = UserFactory().pk
        with transaction.atomic():
            _tamper(
                f"UPDATE alliance_portal_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
                [value, events[2].pk],
            )
        report = audit_chain_verify()
        assert (report.broken_seq, report.reason) == (3, "content does not match its hash")

    def test_a_row_relinked_to_a_forged_predecessor_is_caught(self, user):
        """Row 2 rewritten with its hash recomputed, row 3 pointed at it: row 3's own hash,
        which covers the previous hash, no longer matches."""
        events = _record_some(user, 4)
        forged = events[1]
        forged.action = "test.forged"
        forged.hash = event_hash(forged)
        with transaction.atomic():
            _tamper(
                "UPDATE alliance_portal_auditevent SET action = %s, hash = %s WHERE id = %s",
                [forged.action, forged.hash, forged.pk],
            )
            _tamper(
                "UPDATE alliance_portal_auditevent SET prev_hash = %s WHERE id = %s",
                [forged.hash, events[2].pk],
            )
        report = audit_chain_verify()
        assert (report.broken_seq, report.reason) == (3, "content does not match its hash")


@pytest.mark.django_db
class TestAnchorAfterARewrite:
    @pytest.mark.parametrize(
        "changes",
        [
            {"action": "test.rewritten"},
            {"actor_label": "someone-else@example.org"},
            {"ip": "203.0.113.66"},
        ],
    )
    def test_an_anchor_on_a_later_row_catches_a_rewritten_log(self, user, changes):
        events = _record_some(user, 5)
        anchor = (events[3].seq, events[3].hash)  # kept by the operators before the rewrite
        _rewrite_from(events, 1, **changes)
        assert audit_chain_verify().ok  # every link and hash was recomputed
        report = audit_chain_verify(anchor=anchor)
        assert report.broken_seq == 4
        assert "rewritten" in report.reason
        with pytest.raises(CommandError, match=r"row #4 .*rewritten"):
            call_command("verify_audit_chain", anchor=[f"{anchor[0]}:{anchor[1]}"])

    def test_the_anchor_of_an_untouched_log_still_verifies(self, user):
        events = _record_some(user, 5)
        assert audit_chain_verify(anchor=(events[3].seq, events[3].hash)).ok


@pytest.mark.django_db
class TestNightlyCheck:
    """The beat entry "verify-audit-chain": the task mails the operators (ADMINS) the day's
    anchor while the log verifies, an alert once it does not."""

    @pytest.fixture(autouse=True)
    def operators(self, settings):
        settings.ADMINS = [("Portal operators", "ops@example.org")]

    def test_the_beat_entry_runs_the_task(self):
        from alliance_portal.celery import app as celery_app

        entry = celery_app.conf.beat_schedule["verify-audit-chain"]
        assert entry["task"] == "alliance_portal.tasks.audit_chain_verify"

    def test_an_intact_log_mails_the_anchor_which_later_verifies(self, user, mailoutbox):
        from alliance_portal.tasks import audit_chain_verify as task

        events = _record_some(user, 3)
        result = task.delay().get()
        assert result == {"ok": True, "checked": 3, "broken_seq": None}
        [message] = mailoutbox
        assert message.to == ["ops@example.org"]
        assert message.subject.endswith("Audit log anchor")
        anchor = f"3:{events[-1].hash}"
        assert anchor in message.body
        _record_some(user, 2)
        call_command("verify_audit_chain", anchor=[anchor])

    def test_a_broken_log_mails_an_alert_naming_the_row(self, user, mailoutbox):
        from alliance_portal.tasks import audit_chain_verify as task

        events = _record_some(user, 3)
        with transaction.atomic():
            _tamper(
                "UPDATE alliance_portal_auditevent SET ip = %s WHERE id = %s",
                ["203.0.113.66", events[1].pk],
            )
        result = task.delay().get()
        assert result == {"ok": False, "checked": 1, "broken_seq": 2}
        [message] = mailoutbox
        assert message.to == ["ops@example.org"]
        assert message.subject.endswith("Audit chain broken")
        assert "row #2" in message.body
        assert "content does not match its hash" in message.body
        assert "anchor" not in message.body.lower()
