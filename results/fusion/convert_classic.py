"""Convert classic IR test collections (Glasgow/SMART layouts) to BEIR layout."""
import json, os, re, sys, collections

# Usage: python3 convert_classic.py RAW_DIR OUT_DIR [collection ...]
# RAW_DIR holds the downloads named in README.md ("Hybrid on collections nobody tuned on"), laid out as
# cran/tar/, cisi/tar/, med/tar/ (the Glasgow tarballs unpacked), cacm/, lisa/, npl/.
RAW = sys.argv[1]
OUT = sys.argv[2]

def ws(s):
    return re.sub(r'\s+', ' ', s).strip()

def parse_smart(path, fields_keep=('T', 'W')):
    """Parse SMART format (.I id / .T title / .W text / .A .B .N .X ...)."""
    recs = []
    cur = None; field = None
    with open(path, encoding='latin-1') as f:
        for line in f:
            line = line.rstrip('\r\n')
            m = re.match(r'^\.([A-Z])\s*(.*)$', line)
            if m and (m.group(1) != 'I' or m.group(2).strip().isdigit() or True):
                tag = m.group(1)
                if tag == 'I':
                    cur = {'id': m.group(2).strip(), 'fields': collections.defaultdict(list)}
                    recs.append(cur); field = None
                    continue
                field = tag
                rest = m.group(2)
                if rest and cur is not None:
                    cur['fields'][field].append(rest)
                continue
            if cur is not None and field is not None:
                cur['fields'][field].append(line)
    return [(r['id'], {k: ws(' '.join(v)) for k, v in r['fields'].items()}) for r in recs]

def write(name, corpus, queries, qrels, splits=None):
    dropped = [q for q in queries if not q[1]]
    if dropped: print(name, 'dropping empty queries', dropped)
    queries = [q for q in queries if q[1]]
    d = os.path.join(OUT, name); os.makedirs(os.path.join(d, 'qrels'), exist_ok=True)
    with open(os.path.join(d, 'corpus.jsonl'), 'w') as f:
        for _id, title, text in corpus:
            f.write(json.dumps({'_id': _id, 'title': title, 'text': text}, ensure_ascii=False) + '\n')
    with open(os.path.join(d, 'queries.jsonl'), 'w') as f:
        for _id, text in queries:
            f.write(json.dumps({'_id': _id, 'text': text, 'metadata': {}}, ensure_ascii=False) + '\n')
    splits = splits or {'test': qrels}
    for split, qr in splits.items():
        with open(os.path.join(d, 'qrels', split + '.tsv'), 'w') as f:
            f.write('query-id\tcorpus-id\tscore\n')
            for q, dd, s in qr:
                f.write(f'{q}\t{dd}\t{s}\n')
    docids = {c[0] for c in corpus}; qids = {q[0] for q in queries}
    for split, qr in splits.items():
        bad = [r for r in qr if r[0] not in qids or r[1] not in docids]
        print(name, split, 'judgements', len(qr), 'queries', len({r[0] for r in qr}), 'dangling', len(bad), bad[:3])
    print(name, 'corpus', len(corpus), 'queries', len(queries), 'empty docs', sum(1 for c in corpus if not (c[1] or c[2])))

def dedup(qr):
    seen = {}; out = []
    for q, d, s in qr:
        k = (q, d)
        if k in seen:
            if s > seen[k][2]:
                out[seen[k][3]] = (q, d, s); seen[k] = (q, d, s, seen[k][3])
            continue
        seen[k] = (q, d, s, len(out)); out.append((q, d, s))
    return out

# ---- Cranfield ----
def cranfield():
    docs = parse_smart(f'{RAW}/cran/tar/cran.all.1400')
    corpus = []
    for i, fl in docs:
        title = fl.get('T', ''); text = fl.get('W', '')
        # .W repeats the title at its start in the original; strip that duplicate
        if title and text.startswith(title):
            text = text[len(title):].strip()
        corpus.append((i, title, text))
    qs = parse_smart(f'{RAW}/cran/tar/cran.qry')
    # cranqrel numbers queries 1..225 sequentially, cran.qry .I ids are not sequential
    queries = [(str(n + 1), fl.get('W', '')) for n, (i, fl) in enumerate(qs)]
    qr = []
    for line in open(f'{RAW}/cran/tar/cranqrel'):
        p = line.split()
        if len(p) < 3: continue
        code = int(p[2])
        # Cleverdon codes: 1 complete answer .. 4 minimum interest, -1/5 no interest
        score = {1: 4, 2: 3, 3: 2, 4: 1}.get(code, 0)
        qr.append((p[0], p[1], score))
    write('cranfield', corpus, queries, dedup(qr))

def cisi():
    docs = parse_smart(f'{RAW}/cisi/tar/CISI.ALL')
    corpus = [(i, fl.get('T', ''), fl.get('W', '')) for i, fl in docs]
    qs = parse_smart(f'{RAW}/cisi/tar/CISI.QRY')
    queries = [(i, ws(fl.get('T', '') + ' ' + fl.get('W', ''))) for i, fl in qs]
    qr = []
    for line in open(f'{RAW}/cisi/tar/CISI.REL'):
        p = line.split()
        if len(p) >= 2: qr.append((p[0], p[1], 1))
    write('cisi', corpus, queries, dedup(qr))

def med():
    docs = parse_smart(f'{RAW}/med/tar/MED.ALL')
    corpus = [(i, '', fl.get('W', '')) for i, fl in docs]
    qs = parse_smart(f'{RAW}/med/tar/MED.QRY')
    queries = [(i, fl.get('W', '')) for i, fl in qs]
    qr = []
    for line in open(f'{RAW}/med/tar/MED.REL'):
        p = line.split()
        if len(p) >= 4: qr.append((p[0], p[2], int(p[3])))
    write('medline', corpus, queries, dedup(qr))

def cacm():
    docs = parse_smart(f'{RAW}/cacm/cacm.all')
    corpus = [(i, fl.get('T', ''), fl.get('W', '')) for i, fl in docs]
    qs = parse_smart(f'{RAW}/cacm/query.text')
    queries = [(i, fl.get('W', '')) for i, fl in qs]
    qr = []
    for line in open(f'{RAW}/cacm/qrels.text'):
        p = line.split()
        if len(p) >= 2: qr.append((str(int(p[0])), str(int(p[1])), 1))
    write('cacm', corpus, queries, dedup(qr))

def lisa():
    files = sorted(f for f in os.listdir(f'{RAW}/lisa') if re.match(r'LISA\d\.\d+$', f))
    files.sort(key=lambda x: float(x[4:]))
    corpus = []; seen_ids = set()
    for fn in files:
        txt = open(f'{RAW}/lisa/{fn}', encoding='latin-1').read().replace('\r', '')
        for block in txt.split('********************************************'):
            block = block.strip('\n')
            if not block.strip(): continue
            m = re.match(r'\s*Document\s+(\d+)\s*\n(.*)$', block, re.S)
            if not m:
                # stray separator inside a record in the original file: continuation of previous doc
                # known corruption in the distributed LISA1.501 (docs 1993-1997 lost, 1998-2001 repeated,
                # a stray fragment without header): skip the fragment
                print('LISA: skipping headerless fragment in', fn, block[:40].replace(chr(10),' ')); continue
            did, body = m.group(1), m.group(2)
            parts = re.split(r'\n\s*\n', body, maxsplit=1)
            title = ws(parts[0]); text = ws(parts[1]) if len(parts) > 1 else ''
            if did in seen_ids:
                print('LISA: skipping repeated doc id', did, 'in', fn); continue
            seen_ids.add(did)
            corpus.append((did, title, text))
    txt = open(f'{RAW}/lisa/LISA.QUE', encoding='latin-1').read().replace('\r', '')
    queries = []
    for block in txt.split('#'):
        block = block.strip()
        if not block: continue
        m = re.match(r'(\d+)\s*\n(.*)$', block, re.S)
        if m: queries.append((m.group(1), ws(m.group(2))))
    txt = open(f'{RAW}/lisa/LISA.REL', encoding='latin-1').read().replace('\r', '')
    qr = []
    for m in re.finditer(r'Query\s+(\d+)\s*\n\s*\d+\s+Relevant Refs:\s*\n([\d\s-]+?)-1', txt):
        for d in m.group(2).split():
            qr.append((m.group(1), d, 1))
    write('lisa', corpus, queries, dedup(qr))

def npl():
    txt = open(f'{RAW}/npl/doc-text.trec', encoding='latin-1').read()
    corpus = [(m.group(1).strip(), '', ws(m.group(2))) for m in re.finditer(r'<DOC>\s*<DOCNO>(.*?)</DOCNO>(.*?)</DOC>', txt, re.S)]
    txt = open(f'{RAW}/npl/query-text.trec', encoding='latin-1').read()
    queries = [(m.group(1).strip(), ws(m.group(2)).lower()) for m in re.finditer(r'<num>(.*?)</num>\s*<title>(.*?)</title>', txt, re.S | re.I)]
    qr = []
    for line in open(f'{RAW}/npl/qrels'):
        p = line.split()
        if len(p) >= 4: qr.append((p[0], p[2], int(p[3])))
    write('npl', corpus, queries, dedup(qr))

for fn in sys.argv[3:] or ['cranfield', 'cisi', 'med', 'cacm', 'lisa', 'npl']:
    globals()[fn]()
