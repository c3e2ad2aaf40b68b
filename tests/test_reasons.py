"""The reason matcher: variants steer to the existing reason, other meanings never do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retention_tui import reasons
from retention_tui.churn import reason_id
from retention_tui.db import open_database, write

# Existing reasons, as a workshop's list would hold them after a while.
EXISTING = [
    # nl
    "Te duur",
    "Verhuisd",
    "Auto verkocht",
    "Niet tevreden over de reparatie",
    "Tevreden klant, rijdt weinig",
    "Wachttijd te lang",
    "Onderhoud bij de dealer",
    "Prijs van de APK te hoog",
    # de
    "Zu teuer",
    "Umgezogen",
    "Fahrzeug verkauft",
    "Unzufrieden mit der Reparatur",
    "Werkstattpreise zu hoch",
    "Wartezeit zu lang",
    # it
    "Troppo caro",
    "Trasferito in altra città",
    "Auto venduta",
    "Insoddisfatto del servizio",
    "Tempi di attesa lunghi",
    # en
    "Too expensive",
    "Moved away",
    "Vehicle sold",
    "Unhappy with the service",
    "Found a cheaper garage",
    "Company car ended",
    # lv
    "Pārāk dārgi",
    "Pārcēlās uz citu pilsētu",
    "Automašīna pārdota",
    "Neapmierināts ar servisu",
    # zh
    "价格太贵",
    "搬家了",
    "车已卖掉",
    "对服务不满意",
    "等待时间太长",
]

# (typed, the existing reason it must steer to): at least 150, every language.
VARIANTS = [
    # nl: case, punctuation, spaces, typos, word order, fillers, compounds
    ("te duur", "Te duur"), ("TE DUUR!", "Te duur"), ("te  duur.", "Te duur"),
    ("duur", "Te duur"), ("veel te duur", "Te duur"), ("erg duur", "Te duur"),
    ("verhuisd", "Verhuisd"), ("Verhuist", "Verhuisd"), ("verhuisd!!", "Verhuisd"),
    ("is verhuisd", "Verhuisd"), ("verhiusd", "Verhuisd"),
    ("auto verkocht", "Auto verkocht"), ("Auto is verkocht", "Auto verkocht"),
    ("verkocht auto", "Auto verkocht"), ("auto verkoch", "Auto verkocht"),
    ("de auto is verkocht", "Auto verkocht"), ("auto verkcoht", "Auto verkocht"),
    ("niet tevreden over reparatie", "Niet tevreden over de reparatie"),
    ("Niet tevreden over de reperatie", "Niet tevreden over de reparatie"),
    ("niet tevreden, reparatie", "Niet tevreden over de reparatie"),
    ("wachttijd te lang", "Wachttijd te lang"), ("wacht tijd te lang", "Wachttijd te lang"),
    ("Wachttijd veel te lang", "Wachttijd te lang"), ("wachtijd te lang", "Wachttijd te lang"),
    ("te lang wachttijd", "Wachttijd te lang"),
    ("onderhoud bij dealer", "Onderhoud bij de dealer"),
    ("Onderhoud bij de deler", "Onderhoud bij de dealer"),
    ("dealer onderhoud", "Onderhoud bij de dealer"),
    ("prijs van APK te hoog", "Prijs van de APK te hoog"),
    ("APK prijs te hoog", "Prijs van de APK te hoog"),
    ("tevreden klant rijdt weinig", "Tevreden klant, rijdt weinig"),
    ("Tevreden klant - rijdt weinig", "Tevreden klant, rijdt weinig"),
    # de
    ("zu teuer", "Zu teuer"), ("ZU TEUER", "Zu teuer"), ("viel zu teuer", "Zu teuer"),
    ("teuer", "Zu teuer"), ("zu teur", "Zu teuer"), ("sehr teuer", "Zu teuer"),
    ("umgezogen", "Umgezogen"), ("Umgezogen.", "Umgezogen"), ("ist umgezogen", "Umgezogen"),
    ("umgezogn", "Umgezogen"), ("umgezoegen", "Umgezogen"),
    ("fahrzeug verkauft", "Fahrzeug verkauft"), ("Fahrzeug wurde verkauft", "Fahrzeug verkauft"),
    ("verkauft fahrzeug", "Fahrzeug verkauft"), ("Fahrzeg verkauft", "Fahrzeug verkauft"),
    ("das Fahrzeug verkauft", "Fahrzeug verkauft"),
    ("unzufrieden mit reparatur", "Unzufrieden mit der Reparatur"),
    ("Unzufrieden mit der Reperatur", "Unzufrieden mit der Reparatur"),
    ("Reparatur unzufrieden", "Unzufrieden mit der Reparatur"),
    ("werkstatt preise zu hoch", "Werkstattpreise zu hoch"),
    ("Werkstattpreise zu hoch!", "Werkstattpreise zu hoch"),
    ("werkstattpreise hoch", "Werkstattpreise zu hoch"),
    ("wartezeit zu lang", "Wartezeit zu lang"), ("Warte zeit zu lang", "Wartezeit zu lang"),
    ("Wartezeit viel zu lang", "Wartezeit zu lang"), ("wartezet zu lang", "Wartezeit zu lang"),
    # it
    ("troppo caro", "Troppo caro"), ("TROPPO CARO!", "Troppo caro"), ("caro", "Troppo caro"),
    ("molto caro", "Troppo caro"), ("troppo caro.", "Troppo caro"),
    ("trasferito in altra citta", "Trasferito in altra città"),
    ("trasferito altra città", "Trasferito in altra città"),
    ("Trasferito in un'altra città", "Trasferito in altra città"),
    ("trasferitto in altra citta", "Trasferito in altra città"),
    ("auto venduta", "Auto venduta"), ("l'auto venduta", "Auto venduta"),
    ("venduta auto", "Auto venduta"), ("auto e venduta", "Auto venduta"),
    ("auto vendutta", "Auto venduta"),
    ("insoddisfatto del servizio", "Insoddisfatto del servizio"),
    ("insodisfatto del servizio", "Insoddisfatto del servizio"),
    ("servizio insoddisfatto", "Insoddisfatto del servizio"),
    ("insoddisfatto servizio", "Insoddisfatto del servizio"),
    ("tempi di attesa lunghi", "Tempi di attesa lunghi"),
    ("tempi attesa lunghi", "Tempi di attesa lunghi"),
    ("Tempi di atesa lunghi", "Tempi di attesa lunghi"),
    ("attesa lunghi tempi", "Tempi di attesa lunghi"),
    # en
    ("too expensive", "Too expensive"), ("Too expensive!", "Too expensive"),
    ("too  expensive", "Too expensive"), ("too expensiv", "Too expensive"),
    ("expensive", "Too expensive"), ("very expensive", "Too expensive"),
    ("Too expnsive", "Too expensive"), ("too exepnsive", "Too expensive"),
    ("moved away", "Moved away"), ("Moved away.", "Moved away"), ("has moved away", "Moved away"),
    ("moved awya", "Moved away"), ("away moved", "Moved away"),
    ("vehicle sold", "Vehicle sold"), ("Vehicle was sold", "Vehicle sold"),
    ("sold vehicle", "Vehicle sold"), ("the vehicle sold", "Vehicle sold"),
    ("vehicel sold", "Vehicle sold"),
    ("unhappy with service", "Unhappy with the service"),
    ("Unhappy with the sevice", "Unhappy with the service"),
    ("unhappy service", "Unhappy with the service"),
    ("found cheaper garage", "Found a cheaper garage"),
    ("Found a cheaper garage.", "Found a cheaper garage"),
    ("found a cheeper garage", "Found a cheaper garage"),
    ("cheaper garage found", "Found a cheaper garage"),
    ("company car ended", "Company car ended"), ("Company-car ended", "Company car ended"),
    ("companycar ended", "Company car ended"), ("company car endd", "Company car ended"),
    # lv
    ("pārāk dārgi", "Pārāk dārgi"), ("parak dargi", "Pārāk dārgi"), ("PĀRĀK DĀRGI", "Pārāk dārgi"),
    ("dārgi", "Pārāk dārgi"), ("pārāk dārgi!", "Pārāk dārgi"),
    ("pārcēlās uz citu pilsētu", "Pārcēlās uz citu pilsētu"),
    ("parcelas uz citu pilsetu", "Pārcēlās uz citu pilsētu"),
    ("pārcēlās citu pilsētu", "Pārcēlās uz citu pilsētu"),
    ("Pārcēlās uz citu pilsetu.", "Pārcēlās uz citu pilsētu"),
    ("automašīna pārdota", "Automašīna pārdota"), ("automasina pardota", "Automašīna pārdota"),
    ("pārdota automašīna", "Automašīna pārdota"), ("automašina pārdota", "Automašīna pārdota"),
    ("Automašīna ir pārdota", "Automašīna pārdota"),
    ("neapmierināts ar servisu", "Neapmierināts ar servisu"),
    ("neapmierinats ar servisu", "Neapmierināts ar servisu"),
    ("servisu neapmierināts", "Neapmierināts ar servisu"),
    ("Neapmierināts ar servisu!", "Neapmierināts ar servisu"),
    # zh
    ("价格太贵", "价格太贵"), ("价格太贵了", "价格太贵"), ("价格贵", "价格太贵"),
    ("价格 太贵", "价格太贵"), ("价格太贵！", "价格太贵"),
    ("搬家了", "搬家了"), ("搬家", "搬家了"), ("已搬家", "搬家了"), ("搬家了。", "搬家了"),
    ("车已卖掉", "车已卖掉"), ("车卖掉了", "车已卖掉"), ("车已经卖掉", "车已卖掉"),
    ("对服务不满意", "对服务不满意"), ("服务不满意", "对服务不满意"),
    ("对服务很不满意", "对服务不满意"),
    ("等待时间太长", "等待时间太长"), ("等待时间长", "等待时间太长"),
    ("等待时间太长了", "等待时间太长"),
    ("等待 时间 太长", "等待时间太长"), ("等待的时间太长", "等待时间太长"),
    ("Verhuisd.", "Verhuisd"), ("VERKOCHT AUTO", "Auto verkocht"), ("zu teuer!!!", "Zu teuer"),
    ("umgezogen!", "Umgezogen"), ("caro troppo", "Troppo caro"),
    ("Moved  Away", "Moved away"), ("Vehicle sold!", "Vehicle sold"),
    ("parāk dārgi", "Pārāk dārgi"), ("trasferito in altra cittá", "Trasferito in altra città"),
]  # fmt: skip

# Texts that must NOT be steered to any existing reason (they mean something else).
DIFFERENT = [
    # negations and their absence
    "tevreden over de reparatie", "niet te duur", "niet verhuisd", "auto niet verkocht",
    "zufrieden mit der Reparatur", "nicht zu teuer", "nicht umgezogen", "kein Fahrzeug verkauft",
    "soddisfatto del servizio", "non troppo caro", "non trasferito", "auto non venduta",
    "happy with the service", "not too expensive", "not moved away", "vehicle not sold",
    "apmierināts ar servisu", "nav pārāk dārgi", "nav pārcēlās",
    "对服务满意", "价格不贵", "没有搬家", "车没卖掉",
    "ontevreden klant, rijdt weinig",
    # shares words, means something else
    "Wachttijd te kort", "Prijs van de banden te hoog", "Auto gestolen", "Auto total loss",
    "Fahrzeug gestohlen", "Wartezeit zu kurz", "Werkstatt zu weit weg",
    "Auto rubata", "Tempi di consegna", "Servizio veloce",
    "Moved to another brand", "Vehicle stolen", "Company closed", "Found a better garage",
    "Automašīna nozagta", "Pārcēlās uz ārzemēm darba dēļ",
    "车被偷了", "服务态度好", "等待时间短",
    # short words a couple of letters apart, and unrelated texts
    "te laat", "zu laut", "car", "caso", "moved", "sold", "duurzaam", "teure Teile",
    "garage dicht", "no show", "dood", "overleden", "verstorben", "deceduto", "deceased",
    "andere merk", "lease afgelopen",
]  # fmt: skip


@pytest.fixture(scope="module")
def reason_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reasons") / "reasons.db"
    conn = open_database(path)
    with write(conn):
        for label in EXISTING:
            reason_id(conn, label)
    conn.close()
    return path


@pytest.fixture
def conn(reason_db: Path) -> sqlite3.Connection:
    connection = open_database(reason_db)
    yield connection
    connection.close()


def test_the_tables_are_big_enough() -> None:
    assert len(VARIANTS) >= 150
    assert len(DIFFERENT) >= 50
    assert {reason for _typed, reason in VARIANTS} == set(EXISTING)


@pytest.mark.parametrize(("typed", "reason"), VARIANTS)
def test_a_variant_steers_to_the_existing_reason(
    conn: sqlite3.Connection, typed: str, reason: str
) -> None:
    found = reasons.suggest(conn, typed, typing=False)
    assert found, typed
    assert found[0].label == reason
    assert found[0].takes, (typed, found[0])


@pytest.mark.parametrize("typed", DIFFERENT)
def test_another_meaning_is_never_taken(conn: sqlite3.Connection, typed: str) -> None:
    found = reasons.suggest(conn, typed, typing=False)
    assert not any(s.takes for s in found), (typed, found)


def test_suggestions_while_typing_are_best_first(conn: sqlite3.Connection) -> None:
    found = reasons.suggest(conn, "too exp", typing=True)
    assert found[0].label == "Too expensive"
    assert [s.takes for s in found].count(True) <= 1


def test_an_exact_match_never_makes_a_second_reason(conn: sqlite3.Connection) -> None:
    with write(conn):
        first = reason_id(conn, "Too expensive")
        again = reason_id(conn, "  TOO expensive!! ")
    assert first == again


def test_cli_prints_what_the_form_would_suggest(
    reason_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from retention_tui.cli import main

    main(["--db", str(reason_db), "reasons", "suggest", "too expnsive", "--format", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "reason,score,takes"
    assert lines[1].startswith("Too expensive,") and lines[1].endswith(",1")
    assert all(line.endswith(",0") for line in lines[2:])
    main(["--db", str(reason_db), "reasons", "suggest", "niet te duur", "--format", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert all(line.endswith(",0") for line in lines[1:])
