"""The synthetic suite's image kinds: a drawn receipt, price tag, sign, table, boarding pass, board or card with
distractor text; the reference reads it with OCR, then computes with the calculator or copies a value exactly.
"""

from __future__ import annotations

import random
from decimal import Decimal
from functools import partial

from toolagent.train import synth_draw
from toolagent.train.synth_kinds import (
    ITEMS,
    STORES,
    STREETS,
    WORDS,
    Draft,
    Town,
    param_key,
    price_text,
    calc,
    fmt,
    money,
    ocr,
)
from toolagent.train.synth_phrasing import say, sentence_case


# ---------------------------------------------------------------- images: OCR, then the calculator or a copy

def receipt(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    names = rng.sample(ITEMS, rng.randrange(2, 5))
    prices = [money(rng) for _ in names]
    store = rng.choice(STORES)
    header = [f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
              f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/20{rng.randrange(18, 27)}  "
              f"{rng.randrange(7, 22):02d}:{rng.randrange(60):02d}"]
    footer = rng.choice((["Thank you!"], [f"Cashier {rng.randrange(1, 20)}", "Thank you!"], ["Card payment"]))
    draw = partial(synth_draw.receipt, store=store, items=[(n, price_text(p)) for n, p in zip(names, prices)],
                   header=header, footer=footer)
    read = ocr(image, "the item prices", [price_text(p) for p in prices])
    form = rng.choice(("all", "all", "two", "more"))
    if form == "all":
        total = sum(prices, Decimal(0))
        question = rng.choice(("What is the total of all the item prices on this receipt?",
                               "How much did I spend altogether?", "Add up the receipt: what's the total?",
                               "What does this receipt come to?", "what was the total bill?",
                               "How much do the items on this receipt cost in total?"))
        expression = "+".join(price_text(p) for p in prices)
    else:
        (i, a), (j, b) = sorted(rng.sample(list(enumerate(prices)), 2), key=lambda pair: -pair[1])
        if form == "two":
            total = a + b
            question = rng.choice(("How much did the {x} and the {y} cost together?",
                                   "What did {x} and {y} come to on this receipt?")).format(
                x=names[i].lower(), y=names[j].lower())
            expression = f"{price_text(a)}+{price_text(b)}"
        else:
            total = a - b
            question = rng.choice(("How much more did the {x} cost than the {y}?",
                                   "On this receipt, how much dearer is the {x} than the {y}?")).format(
                x=names[i].lower(), y=names[j].lower())
            expression = f"{price_text(a)}-{price_text(b)}"
    return Draft(question, [read, calc(expression, "the amount", total)], fmt(total),
                 param_key(form, names, prices), draw)


def price_tag(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    item, price, count = rng.choice(ITEMS), money(rng), rng.randrange(2, 13)
    note = rng.choice(("", f"SKU {rng.randrange(10000, 99999)}", f"Aisle {rng.randrange(1, 20)}",
                       f"Best before {rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}"))
    question = rng.choice(("How much do {c} of the items on this price tag cost in total, in dollars?",
                           "What would {c} of these cost?", "I want {c} of these. How much is that?",
                           "How much for {c} of the {i}?", "what do {c} of them cost altogether?")).format(
        c=say(rng, count), i=item.lower())
    steps = [ocr(image, "the unit price", [price_text(price)]),
             calc(f"{price_text(price)}*{count}", "the cost", price * count)]
    return Draft(sentence_case(question), steps, fmt(price * count), param_key(item, price, count),
                 partial(synth_draw.price_tag, item=item, price=f"${price_text(price)}", note=note))


def sign(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    places = rng.sample([t.name for t in towns], 3 if rng.random() < 0.5 else 2)
    kms = sorted(rng.sample(range(5, 400), len(places)), reverse=True)
    road = f"{rng.choice('ABM')}{rng.randrange(1, 90)}"
    lines = [road, *(f"{p}  {k} km" for p, k in zip(places, kms))]
    (far, far_km), (near, near_km) = sorted(rng.sample(list(zip(places, kms)), 2), key=lambda pair: -pair[1])
    if rng.random() < 0.7:
        result, expression = Decimal(far_km - near_km), f"{far_km}-{near_km}"
        question = rng.choice(("How many kilometres farther is {f} than {n}?",
                               "According to the sign, how much farther away is {f} than {n}, in km?",
                               "How far is it from {n} to {f} along this road?")).format(f=far, n=near)
    else:
        result, expression = Decimal(2 * far_km), f"2*{far_km}"
        question = rng.choice(("How many km is a round trip to {f}?",
                               "If I drive to {f} and back, how many kilometres is that?")).format(f=far)
    steps = [ocr(image, "the distances", [f"{far_km} km", f"{near_km} km"]), calc(expression, "the distance", result)]
    return Draft(question, steps, fmt(result), None, partial(synth_draw.dark_sign, lines=lines))


def table(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    names = rng.sample(ITEMS, rng.randrange(2, 4))
    rows = [(n, rng.randrange(1, 10), money(rng, 50, 900)) for n in names]
    footer = rng.choice(("", f"Order {rng.randrange(1000, 9999)}", "Prices include tax"))
    draw = partial(synth_draw.small_table, header=("Item", "Qty", "Price"),
                   rows=[(n, str(q), price_text(p)) for n, q, p in rows], footer=footer)
    read = ocr(image, "quantities and prices", [price_text(p) for _, _, p in rows])
    if rng.random() < 0.6:
        total = sum((q * p for _, q, p in rows), Decimal(0))
        expression = "+".join(f"{q}*{price_text(p)}" for _, q, p in rows)
        question = rng.choice((
            "The table lists items with quantity and unit price. What is the total cost of the order?",
            "What does this whole order cost?", "How much is the order in total?",
            "what's the total for everything in this table?"))
    else:
        name, q, p = rng.choice(rows)
        total, expression = q * p, f"{q}*{price_text(p)}"
        question = rng.choice(("How much is spent on {i} in this order?",
                               "What is the cost of the {i} line in this table?")).format(i=name.lower())
    return Draft(question, [read, calc(expression, "the total", total)], fmt(total), param_key(rows, expression), draw)


def read(rng: random.Random, image: str, towns: list[Town]) -> Draft:
    """A value to copy exactly from an image: a gate, a seat, a platform, a password, a pickup code."""
    form, checks = rng.randrange(4), []
    if form == 0:
        flight = f"{rng.choice(('QX', 'LM', 'TA', 'RV'))}{rng.randrange(100, 999)}"
        gate, seat = f"{rng.choice('ABCDE')}{rng.randrange(1, 40)}", f"{rng.randrange(1, 40)}{rng.choice('ACDF')}"
        lines = [f"Flight {flight}", f"Gate {gate}", f"Seat {seat}",
                 f"Boarding {rng.randrange(5, 23):02d}:{rng.randrange(0, 60, 5):02d}"]
        what, value = rng.choice((("gate", gate), ("seat", seat), ("flight", flight)))
        question = {"gate": rng.choice(("Which gate do I board at?", "What gate is on this boarding pass?",
                                        "which gate is my flight?")),
                    "seat": rng.choice(("What seat am I in?", "Which seat is on this boarding pass?")),
                    "flight": rng.choice(("What is the flight number?", "Which flight is this pass for?"))}[what]
        draw = partial(synth_draw.card, title="BOARDING PASS", lines=lines)
        key = param_key(flight, gate, seat, what)
    elif form == 1:
        places = rng.sample([t.name for t in towns], 3)
        platforms = rng.sample(range(1, 15), 3)
        times = sorted(f"{rng.randrange(6, 23):02d}:{rng.randrange(0, 60, 5):02d}" for _ in places)
        row = rng.randrange(3)
        value = str(platforms[row])
        question = rng.choice(("Which platform does the {t} train to {p} leave from?", "which platform for {p}?",
                               "What platform is the train to {p} on?")).format(t=times[row], p=places[row])
        draw = partial(synth_draw.dark_sign, lines=[f"{t} {p} Platform {n}"
                                                    for t, p, n in zip(times, places, platforms)])
        key, checks = None, [f"{places[row]} Platform {value}"]
    elif form == 2:
        network = f"{rng.choice(STORES).split()[0]}-Guest"
        value = f"{rng.choice(WORDS)}{rng.randrange(10, 9999)}"
        question = rng.choice(("What is the wifi password?", "What's the password for the guest wifi?",
                               "Which password do I type for the wifi on this card?"))
        draw = partial(synth_draw.card, title="Guest Wi-Fi", lines=[f"Network: {network}", f"Password: {value}"])
        key = param_key(network, value)
    else:
        locker, value = rng.randrange(1, 99), str(rng.randrange(1000, 9999))
        question = rng.choice(("What is my pickup code?", "Which code do I need to collect the parcel?",
                               "what's the pickup code on this notice"))
        draw = partial(synth_draw.card, title="Parcel waiting", lines=[f"Locker {locker}", f"Pickup code: {value}"])
        key = param_key(locker, value)
    return Draft(sentence_case(question), [ocr(image, "the text", checks or [value])], value, key, draw)
