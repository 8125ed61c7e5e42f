"""A believable German CRM data set for demos and for the harness."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm import pipeline, service
from erp.crm.models import ActivityKind, Customer, Stage
from erp.timeutil import business_date

COMPANIES = [
    ("Müller Maschinenbau GmbH", "Industriestraße 12", "70565", "Stuttgart", "DE136695976"),
    ("Schneider & Söhne KG", "Hafenweg 3", "20457", "Hamburg", None),
    ("Bäckerei Fischer e.K.", "Marktplatz 7", "80331", "München", None),
    ("Weber Logistik AG", "Am Güterbahnhof 21", "44137", "Dortmund", None),
    ("Hoffmann Elektrotechnik GmbH", "Siemensring 45", "91052", "Erlangen", None),
    ("Schäfer Holzbau GmbH & Co. KG", "Waldstraße 9", "79098", "Freiburg im Breisgau", None),
    ("Koch Medizintechnik GmbH", "Forschungsallee 2", "69120", "Heidelberg", None),
    ("Bauer Agrarhandel eG", "Feldweg 14", "49074", "Osnabrück", None),
    ("Richter Steuerberatung PartG", "Königsallee 60", "40212", "Düsseldorf", None),
    ("Klein Feinkost OHG", "Schloßstraße 88", "12163", "Berlin", None),
    ("Wolf Automotive Zulieferer GmbH", "Werkstraße 100", "38440", "Wolfsburg", None),
    ("Neumann Druck & Medien GmbH", "Gutenbergstraße 5", "04103", "Leipzig", None),
    ("Schwarz Textil GmbH", "Weberstraße 33", "48431", "Rheine", None),
    ("Zimmermann Sanitär GmbH", "Rohrweg 8", "28195", "Bremen", None),
    ("Braun Optik e.K.", "Lindenstraße 19", "01067", "Dresden", None),
    ("Krüger Spedition GmbH", "Hansaring 77", "50670", "Köln", None),
    ("Hartmann Brauerei KG", "Brauhausgasse 1", "96047", "Bamberg", None),
    ("Lange Solartechnik GmbH", "Sonnenallee 250", "12059", "Berlin", None),
    ("Werner Werkzeugbau GmbH", "Schmiedestraße 4", "42651", "Solingen", None),
    ("Schmitz Gastronomiebedarf GmbH", "Deutzer Freiheit 12", "50679", "Köln", None),
]
FIRST_NAMES = ["Anna", "Jonas", "Lea", "Lukas", "Marie", "Felix", "Sophie", "Paul", "Emma", "Ben"]
LAST_NAMES = ["Becker", "Wagner", "Schulz", "Meyer", "Lehmann", "Krause", "König", "Vogel"]
ROLES = ["Geschäftsführung", "Einkauf", "Buchhaltung", "Technik", "Vertrieb"]
DEALS = [
    "Rahmenvertrag 2027",
    "Ersatzteilpaket",
    "Wartungsvertrag",
    "Neuanlage",
    "Pilotprojekt",
    "Softwarelizenzen",
    "Schulungspaket",
]
STAGE_PATHS = [
    [],
    [Stage.qualified],
    [Stage.qualified, Stage.proposal],
    [Stage.qualified, Stage.proposal, Stage.won],
    [Stage.lost],
]


def seed_crm(session: Session, *, sales: User, extra_customers: int = 0) -> str:
    """Create the demo customers (once) with contacts, opportunities and activities."""
    if session.scalar(select(func.count()).select_from(Customer)):
        return "CRM demo data: exists"
    rng = random.Random(2026)  # noqa: S311  (reproducible demo data, not security)
    today = business_date()
    names = list(COMPANIES) + [
        (
            f"Demo Kunde {i:05d} GmbH",
            f"Beispielweg {i % 200 + 1}",
            f"{10000 + i % 89999:05d}",
            rng.choice(["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main"]),
            None,
        )
        for i in range(extra_customers)
    ]
    for index, (name, street, postal_code, city, vat_id) in enumerate(names):
        customer = service.create_customer(
            session,
            actor=sales,
            values={
                "name": name,
                "street": street,
                "postal_code": postal_code,
                "city": city,
                "country": "DE",
                "vat_id": vat_id,
                "email": f"info@kunde{index + 1}.example",
                "phone": f"+49 {rng.randint(30, 989)} {rng.randint(100000, 9999999)}",
                "payment_terms_days": rng.choice([7, 14, 14, 30, 30, 60]),
                "credit_limit": Decimal(rng.choice([5000, 10000, 25000, 50000, 100000])),
            },
        )
        if index >= len(COMPANIES):
            continue  # volume customers stay plain: fast to create, enough to page through
        for _ in range(rng.randint(1, 3)):
            service.create_contact(
                session,
                customer_id=customer.id,
                actor=sales,
                values={
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "role": rng.choice(ROLES),
                    "email": None,
                    "phone": None,
                },
            )
        for path in rng.sample(STAGE_PATHS, k=rng.randint(0, 2)):
            deal = pipeline.create_opportunity(
                session,
                actor=sales,
                values={
                    "customer_id": customer.id,
                    "title": rng.choice(DEALS),
                    "expected_revenue": Decimal(rng.randint(20, 900) * 100),
                    "close_date": today + timedelta(days=rng.randint(7, 120)),
                },
            )
            for stage in path:
                reason = "Preis zu hoch" if stage is Stage.lost else None
                pipeline.change_stage(
                    session, opportunity_id=deal.id, actor=sales, stage=stage, lost_reason=reason
                )
        pipeline.create_activity(
            session,
            actor=sales,
            values={
                "customer_id": customer.id,
                "kind": rng.choice(list(ActivityKind)),
                "subject": rng.choice(["Angebot nachfassen", "Jahresgespräch", "Rückruf Einkauf"]),
                "due_date": today + timedelta(days=rng.randint(-5, 20)),
            },
        )
    return f"CRM demo data: {len(names)} customers"
