"""Writes the ids of real demo objects as schemathesis dictionaries (libFuzzer format).

    python3 tests/schemathesis/dictionaries.py BASE_URL OUT_DIR

Reads the bearer tokens from DISTRETTO_ST_PERSON_TOKEN and DISTRETTO_ST_COORDINATOR_TOKEN.
schemathesis.toml binds path parameters and body fields to these files with a probability below
one, so most generated requests reach an existing account, invoice, proposal… (and its
authorisation and state rules) while the rest still try random and malformed ids.
"""

import json
import os
import sys
import urllib.request

BASE, OUT = sys.argv[1], sys.argv[2]
PERSON = os.environ["DISTRETTO_ST_PERSON_TOKEN"]
COORDINATOR = os.environ["DISTRETTO_ST_COORDINATOR_TOKEN"]


def get(path, token):
    req = urllib.request.Request(BASE + "/api/v1" + path, headers={"authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def items(path, token):
    return get(path, token)["items"]


me = get("/me", PERSON)
coordinator = get("/me", COORDINATOR)
# Never offered as people: suspending (POST /people/{id}/status) either login the run uses would
# turn the rest of the run into 401s.
PROTECTED = {me["id"], coordinator["id"]}
own_accounts = [a["id"] for a in me["accounts"]]
own_orgs = [o["id"] for o in me.get("organizations", [])]

invoices = items("/invoices?limit=30", PERSON)
requests = items("/payment-requests", PERSON)[:15] + items("/payment-requests?direction=outgoing", PERSON)[:15]
transfers = []
for account in own_accounts[:3]:
    transfers += [t["id"] for t in items(f"/accounts/{account}/transfers?limit=10", PERSON)]
other_accounts = {i["creditor"] for i in invoices} | {i["debtor"] for i in invoices}
other_accounts |= {r["payee"] for r in requests} | {r["payer"] for r in requests}

organizations = own_orgs + [o["id"] for o in items("/organizations?limit=20", PERSON)]
people = []
for org in own_orgs[:3]:
    for m in get(f"/organizations/{org}/members", PERSON).get("items", []):
        pid = m.get("person_id") or m.get("id")
        if pid:
            people.append(pid)
applications = items("/applications?limit=20", COORDINATOR)
people += [a["person_id"] for a in applications]

dictionaries = {
    "own_accounts": own_accounts,
    "accounts": own_accounts + sorted(other_accounts)[:30],
    "organizations": organizations,
    "people": [p for p in dict.fromkeys(people) if p not in PROTECTED],
    "emails": [f"person-{n}@distretto.example" for n in (2, 3, 5, 8, 13, 21)],
    "applications": [a["id"] for a in applications],
    "invoices": [i["id"] for i in invoices],
    "requests": [r["id"] for r in requests],
    "transfers": transfers,
    "proposals": [p["id"] for p in items("/governance/proposals?limit=30", PERSON)],
    "listings": [item["id"] for item in items("/market/listings?limit=30", PERSON)],
    "resources": [r["id"] for r in items("/market/resources?limit=30", PERSON)],
    "bookings": [b["id"] for b in items("/market/bookings", PERSON)],
}
os.makedirs(OUT, exist_ok=True)
for name, values in dictionaries.items():
    values = list(dict.fromkeys(v for v in values if v))
    # A dictionary may not be empty: an unknown id keeps the binding valid (and tests a 404).
    values = values or ["00000000-0000-0000-0000-000000000000"]
    with open(os.path.join(OUT, name + ".dict"), "w", encoding="utf-8") as f:
        f.writelines(json.dumps(v) + "\n" for v in values)
    print(f"{name}: {len(values)}", file=sys.stderr)
