"""The remote engine: a yente-compatible /match API, here a small server the test starts that
answers in yente's response format."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from screening.models import Hit, ListEntry, Subject
from screening.services import subjects_screen_pending
from screening.yente import EngineUnavailable
from tests.factories import MemberFactory
from tests.servers import free_port

from .helpers import SIDOROV, owner

pytestmark = pytest.mark.django_db

LISTED = {
    "id": "os-fict-sidorov",
    "caption": "Иван Петрович Сидоров",
    "schema": "Person",
    "properties": {
        "name": ["Иван Петрович Сидоров"],
        "alias": ["Ivan Sidorov"],
        "birthDate": ["1971-03-14"],
        "nationality": ["ru"],
        "programId": ["FICT-DEMO"],
    },
    "datasets": ["fictional"],
    "referents": [],
    "target": True,
    "first_seen": "2026-01-01T00:00:00",
    "last_seen": "2026-11-01T00:00:00",
}


class YenteLike(BaseHTTPRequestHandler):
    """Answers POST /match/<dataset> as yente does; 'finds' the listed man by his surname."""

    received: list[dict[str, object]] = []

    def do_POST(self):
        url = urlsplit(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({"path": url.path, "params": parse_qs(url.query), "body": body})
        if not url.path.startswith("/match/"):
            self.send_error(404)
            return
        responses = {}
        for key, query in body["queries"].items():
            names = " ".join(query["properties"].get("name", [])).lower()
            results = []
            if "sidorov" in names or "сидоров" in names:
                results.append(
                    {
                        **LISTED,
                        "score": 0.97,
                        "match": True,
                        "features": {"name_literal_match": 1.0, "dob_year_disjoint": 0.0},
                    }
                )
            responses[key] = {
                "status": 200,
                "results": results,
                "total": {"value": len(results), "relation": "eq"},
                "query": query,
            }
        payload = json.dumps({"responses": responses, "matcher": {}, "limit": 5}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def yente():
    YenteLike.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), YenteLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with override_settings(
        SCREENING_ENGINE="yente", SCREENING_YENTE_URL=url, SCREENING_YENTE_DATASET="sanctions"
    ):
        yield YenteLike
    server.shutdown()
    server.server_close()


def test_the_remote_engine_raises_a_hit_explained_by_its_features(yente):
    member = MemberFactory(legal_name="Arctic Rough Ltd", country="BE")
    owner(member=member, **SIDOROV)
    result = subjects_screen_pending()
    assert result["hits"] == 1
    hit = Hit.objects.get()
    assert hit.engine == "yente" and hit.score == 0.97 and hit.subject.member == member
    assert hit.features["yente"]["features"]["name_literal_match"] == 1.0
    entry = hit.entry
    assert entry.entity_id == "os-fict-sidorov" and entry.source.slug == "yente-sanctions"
    assert entry.birth_dates == ["1971-03-14"] and entry.programme == "FICT-DEMO"

    # What was asked: both subjects, by yente's schema and properties, at our threshold.
    (request,) = yente.received
    assert request["path"] == "/match/sanctions"
    assert request["params"]["threshold"] == ["0.8"]
    queries = list(request["body"]["queries"].values())
    person = next(q for q in queries if q["schema"] == "Person")
    assert sorted(person["properties"]["name"]) == [
        "Ivan Petrovich Sidorov",
        "Иван Петрович Сидоров",
    ]
    assert person["properties"]["birthDate"] == ["1971-03-14"]
    assert person["properties"]["nationality"] == ["ru"]
    company = next(q for q in queries if q["schema"] == "Company")
    assert company["properties"] == {"name": ["Arctic Rough Ltd"], "jurisdiction": ["be"]}

    # Again (a full re-screen): the same entry, no new hit.
    Subject.objects.update(screened_at=None)
    assert subjects_screen_pending()["hits"] == 0
    assert ListEntry.objects.count() == 1 and Hit.objects.count() == 1


def test_an_unreachable_engine_leaves_the_subjects_pending():
    owner(member=MemberFactory(), **SIDOROV)
    with (
        override_settings(
            SCREENING_ENGINE="yente", SCREENING_YENTE_URL=f"http://127.0.0.1:{free_port()}"
        ),
        pytest.raises(EngineUnavailable),
    ):
        subjects_screen_pending()
    assert Subject.objects.filter(screened_at__isnull=True).count() == 2
    assert not Hit.objects.exists()
