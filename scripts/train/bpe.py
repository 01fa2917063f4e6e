"""Byte-level BPE in GPT-2's style: training, encoding, and Hugging Face tokenizer.json output.

Training counts unique pre-tokens once, then merges with incremental pair counts (only the words that
hold the merged pair are touched), so a 4k vocabulary on ~30 MB takes a few minutes in pure Python.
"""
import collections, json
import regex

# GPT-2's pre-tokenization pattern (HF ByteLevel with use_regex=true applies the same one).
PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
EOT = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()
U2B = {u: b for b, u in B2U.items()}


def train(texts, vocab_size, log=print):
    """Returns (vocab: token string -> id, merges: list of (a, b)); the last id is <|endoftext|>."""
    counts = collections.Counter()
    for t in texts:
        counts.update(PAT.findall(t))
    log(f"unique pre-tokens: {len(counts)}")
    base = list(B2U.values())  # id order = GPT-2's byte order
    vocab = {u: i for i, u in enumerate(base)}
    words = [[B2U[b] for b in w.encode("utf-8")] for w in counts]
    freqs = list(counts.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for a, b in zip(w, w[1:]):
            pairs[(a, b)] += f
            where[(a, b)].add(wi)
    merges = []
    n_merges = vocab_size - len(base) - 1
    while len(merges) < n_merges and pairs:
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        a, b = best
        new = a + b
        merges.append(best)
        vocab[new] = len(vocab)
        for wi in list(where[best]):
            w, f = words[wi], freqs[wi]
            for p in zip(w, w[1:]):  # remove this word's old pairs
                pairs[p] -= f
                if pairs[p] <= 0:
                    del pairs[p]
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(new); i += 2
                else:
                    out.append(w[i]); i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pairs[p] += f
                where[p].add(wi)
        del where[best]
        pairs.pop(best, None)
        if len(merges) % 500 == 0:
            log(f"merges: {len(merges)}")
    vocab[EOT] = len(vocab)
    return vocab, merges


class Encoder:
    """Greedy-by-rank BPE encoding, exactly as GPT-2's encoder.py (with a cache per pre-token)."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.inv = {i: t for t, i in vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.cache = {}
        self.eot = vocab[EOT]

    def _bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            ranked = [(self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(word, word[1:]))]
            r, _ = min(ranked)
            if r == 1 << 30:
                break
            a, b = [p for p in zip(word, word[1:])][[x for x in ranked if x[0] == r][0][1]]
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b); i += 2
                else:
                    out.append(word[i]); i += 1
            word = out
        ids = [self.vocab[t] for t in word]
        self.cache[token] = ids
        return ids

    def encode(self, text):
        ids = []
        for pt in PAT.findall(text):
            ids.extend(self._bpe("".join(B2U[b] for b in pt.encode("utf-8"))))
        return ids

    def decode(self, ids):
        data = bytes(U2B[c] for i in ids if i != self.eot for c in self.inv[i])
        return data.decode("utf-8", errors="replace")


def hf_tokenizer_json(vocab, merges):
    """The tokenizer.json layout Hugging Face writes for GPT-2."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[EOT], "content": EOT, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
