"""The sentiment benchmark's texts: a realistic mix of lengths built from committed sentences.

An ingestion backend sends what people write: mostly short reviews, some paragraphs, a few
long ones. ``benchmark_texts`` draws a target length in tokens for each text from
``LENGTH_MIX`` (8 to 400 tokens, skewed to short; about 70 tokens on average) and strings
review sentences together (in a seeded random order) until the text has that many tokens, as
the benchmark's tokenizer counts them ([CLS] and [SEP] included). Every engine in the benchmark
gets the same texts in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

# (share of texts, fewest tokens, most tokens)
LENGTH_MIX: tuple[tuple[float, int, int], ...] = (
    (0.50, 8, 32),  # a line or two: "Great value, fast delivery."
    (0.30, 33, 96),  # a short review
    (0.15, 97, 256),  # a paragraph
    (0.05, 257, 400),  # a long review
)
DEFAULT_SEED = 20261124

SENTENCES: tuple[str, ...] = (
    "I love this!",
    "This is terrible.",
    "Great value for the money.",
    "Arrived two days late and the box was crushed.",
    "The battery easily lasts a full day of heavy use.",
    "Customer service never answered my emails.",
    "Exactly as described, would buy again.",
    "The screen is bright and sharp, even outdoors in direct sunlight.",
    "It stopped charging after three weeks, so I returned it.",
    "Setup took less than five minutes with the app.",
    "The instructions were confusing and two screws were missing.",
    "Sound quality is excellent for the price, with deep bass and clear vocals.",
    "The strap broke the first time I used it.",
    "Our room was spotless and the bed was very comfortable.",
    "The hotel staff went out of their way to help us with a late check-out.",
    "Breakfast was cold and the coffee tasted burnt.",
    "The view from the balcony was worth every penny.",
    "Noise from the street kept us awake until three in the morning.",
    "The location is perfect, a short walk from the station and the old town.",
    "The pool was closed for maintenance during our entire stay, which nobody mentioned when we booked.",
    "Our waiter was attentive and the dessert was divine.",
    "We waited forty minutes for a table even though we had a reservation.",
    "The pasta was overcooked and the sauce was bland.",
    "Portions are generous and the prices are fair.",
    "The steak was cooked exactly as I asked, and the wine list had something for everyone.",
    "I found a hair in my soup and the manager just shrugged.",
    "The film drags in the middle but the ending is brilliant.",
    "One of the best performances I have seen in years.",
    "The plot makes no sense and the dialogue is painfully wooden.",
    "My kids laughed from beginning to end.",
    "The special effects look cheap and dated.",
    "A moving story about family, loss and the small kindnesses that keep people going.",
    "I could not put this book down.",
    "The first half is slow, but once the mystery starts it is gripping.",
    "The translation is clumsy and full of typos.",
    "The characters felt real and I cared about every one of them.",
    "The app crashes every time I open the settings page.",
    "Since the last update everything loads twice as fast.",
    "I was charged twice and it took a month to get a refund.",
    "The interface is clean and intuitive, even my grandmother uses it without help.",
    "Notifications arrive hours late, which defeats the purpose.",
    "Syncing between my phone and laptop works flawlessly.",
    "The fabric feels cheap and started pilling after one wash.",
    "Fits true to size and the colour is exactly like the photos.",
    "The shoes were comfortable right out of the box, no blisters at all.",
    "The zipper jammed on the second day.",
    "Delivery was fast and the driver was polite.",
    "The parcel was left in the rain and everything inside was soaked.",
    "Tracking said delivered but nothing arrived.",
    "Packaging was excellent, every glass arrived intact.",
    "The support agent solved my problem in a single call.",
    "I spent two hours on hold only to be disconnected.",
    "They replaced the faulty unit without any questions.",
    "Nobody seemed to know who was responsible for my order.",
    "Honestly, it does what it says and nothing more.",
    "It is fine, I guess, but I expected more for this price.",
    "Not bad at all, better than the reviews made it sound.",
    "I would not recommend this to anyone.",
    "Absolutely wonderful, highly recommend.",
    "Worst purchase I have made this year.",
    "It works, but the fan is louder than I would like.",
    "The camera struggles in low light, and the night mode adds a lot of noise.",
    "Photos in daylight are crisp with natural colours.",
    "The keyboard feels solid and the keys have a satisfying click.",
    "After a month the left earbud stopped working entirely.",
    "The charger gets worryingly hot.",
    "Lightweight, compact and surprisingly powerful.",
    "The lid does not close properly, so the food dries out overnight.",
    "This blender crushes ice in seconds and is easy to clean.",
    "The vacuum picks up pet hair better than any I have owned.",
    "Assembly was a nightmare, the holes did not line up.",
    "The mattress was too firm for me, but my partner loves it.",
    "Great coffee, friendly baristas, and a quiet corner to work in.",
    "The gym is always crowded and half the machines are out of order.",
    "The course was well structured and the teacher explained everything clearly.",
    "The tour guide was knowledgeable, funny and patient with our questions.",
    "The flight was delayed six hours and we were offered nothing but a voucher for a sandwich.",
    "Seats had plenty of legroom and the crew were lovely.",
    "The rental car was dirty and had a warning light on the dashboard.",
    "Check-in was quick and the room was ready early.",
    "The concert started late and the sound was muddy, but the band played every song we hoped for.",
    "Tickets were overpriced for such a short show.",
    "The museum is small but every room is worth seeing.",
    "The queue for the ride was three hours long.",
    "Prices have gone up while the quality has gone down.",
    "I have been a customer for ten years and this is the first time I have been disappointed.",
    "Five stars, no complaints.",
    "One star, and only because zero is not an option.",
    "Meh.",
    "Perfect gift, my sister loved it.",
    "It smelled strange when I opened the package, and the smell never went away.",
    "The colours faded after a few washes even though I followed the care label.",
    "Battery life is shorter than advertised, closer to six hours than ten.",
    "The touch controls are too sensitive, so I keep pausing music by accident.",
    "The handle snapped when I lifted the pot, spilling boiling water across the counter.",
    "Cleaning is easy because the parts go straight into the dishwasher.",
    "I appreciate that the company answered my complaint within a day and sent a replacement.",
    "The subscription renewed without any warning and cancelling it was deliberately difficult.",
    "Good product, terrible packaging.",
    "The food arrived lukewarm but still tasted great.",
    "The sequel is louder and longer, but it has none of the charm of the original.",
    "After reading the glowing reviews I expected a masterpiece, and what I got was a competent but forgettable thriller.",
    "We stayed for a week and every evening the restaurant staff remembered our names and our favourite table.",
    "The software does everything I need, although the learning curve is steeper than the marketing suggests.",
    "I bought this for my father, who has arthritis, and he can finally open jars on his own again.",
    "The build quality is excellent, the buttons feel premium, and the whole thing looks far more expensive than it was.",
    "Do not buy this; it broke within a week and the seller refused to refund me.",
    "The neighbourhood felt safe, the apartment was bright, and the host left useful tips for local restaurants.",
    "I had high hopes, but the wifi dropped every few minutes, which made working from the room impossible.",
    "Thanks to the clear instructions, even I managed to install it without calling an electrician.",
)


def length_targets(count: int, *, seed: int = DEFAULT_SEED) -> list[int]:
    """``count`` target lengths in tokens drawn from LENGTH_MIX, the same for a given seed."""
    rng = random.Random(seed)
    shares = [share for share, _, _ in LENGTH_MIX]
    targets = []
    for _ in range(count):
        _, fewest, most = rng.choices(LENGTH_MIX, weights=shares)[0]
        targets.append(rng.randint(fewest, most))
    return targets


def benchmark_texts(
    count: int,
    *,
    token_count: Callable[[str], int],
    seed: int = DEFAULT_SEED,
    sentences: Sequence[str] = SENTENCES,
) -> list[str]:
    """``count`` texts whose token counts (``token_count(text)``) follow LENGTH_MIX.

    Sentences are appended until the target is reached, then words are dropped from the end
    until the text is within it, so each text is at most its target and close to it.
    """
    rng = random.Random(seed + 1)
    texts = []
    for target in length_targets(count, seed=seed):
        words: list[str] = []
        while token_count(" ".join(words)) < target:
            words.extend(rng.choice(sentences).split())
        low, high = 1, len(words)  # the most words whose text is within the target
        while low < high:
            middle = (low + high + 1) // 2
            if token_count(" ".join(words[:middle])) <= target:
                low = middle
            else:
                high = middle - 1
        texts.append(" ".join(words[:low]))
    return texts
