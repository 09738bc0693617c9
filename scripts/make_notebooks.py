"""Write the worked-example notebooks (speech, images, bias bounty, ...) from plain cell lists.

Run ``python scripts/make_notebooks.py`` after editing the cells below; the
notebooks are committed without outputs and executed by the tests.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

SPEECH = [
    new_markdown_cell(
        "# Speech: word error rate by accent and background noise\n\n"
        "A speech-recognition service transcribes recordings; its word error rate (WER) may "
        "differ across accents and degrade in noisy *last-mile* conditions. This notebook finds "
        "the accent × condition slices where it fails, with honest statistics.\n\n"
        "**About the data.** The bundled sample is built on this machine: English sentences "
        "spoken by `espeak-ng` voices that *stand in* for accents (rule-based variants of one "
        "synthetic voice, not human accents), mixed with white, pink and babble noise at known "
        "SNRs, and transcribed by PocketSphinx with a small in-domain language model. It shows "
        "the method; a real audit uses real recordings, reference transcripts and your ASR's "
        "output. `scripts/make_speech_sample.py` rebuilds it."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "from IPython.display import HTML, Audio, display\n\n"
        "import workbench as wb\n"
        "from workbench.metrics import word_errors\n"
        "from workbench.widgets import alignment_html\n\n"
        "clips = wb.load_sample('speech')\n"
        "repo = wb.sample_path('speech').parents[2]  # relative audio paths start here\n"
        "clips['snr'] = clips['snr_db_true'].map(lambda v: 'clean' if np.isnan(v) else f'{v:.0f} dB')\n"
        "clips[['accent', 'speaker', 'noise_type', 'snr', 'channel', 'reference', 'hypothesis']].head()"
    ),
    new_markdown_cell(
        "## WER is a ratio of sums\n\n"
        "Per utterance the error is the number of word errors (substitutions + deletions + "
        "insertions, aligned with `jiwer` after normalising case, punctuation and numbers) and "
        "the weight is the number of reference words. A slice's WER is "
        "`sum(errors) / sum(reference words)` — not the mean of per-utterance WERs."
    ),
    new_code_cell(
        "errors, ref_words = word_errors(clips['reference'], clips['hypothesis'])\n"
        "print('overall WER', errors.sum() / ref_words.sum())\n"
        "print('mean of per-utterance WERs (not used)', (errors / ref_words).mean())\n"
        "row = clips.iloc[2]\n"
        "HTML(alignment_html(row['reference'], row['hypothesis']))"
    ),
    new_markdown_cell(
        "## Scan the metadata: accent, speaker, noise and channel\n\n"
        "`metric='wer'` makes the reference the label and the transcript the prediction. "
        "Everything is kept in a DuckDB file."
    ),
    new_code_cell(
        "# The store and the exports go to a temporary folder, not into the repository.\n"
        "out = Path(tempfile.mkdtemp(prefix='workbench-speech-'))\n"
        "bench = wb.Workbench.from_predictions(\n"
        "    clips, label='reference', prediction='hypothesis', metric='wer',\n"
        "    features=['accent', 'speaker', 'noise_type', 'snr', 'channel'],\n"
        "    path=out / 'speech_audit.duckdb',\n"
        ")\n"
        "findings = bench.scan(alpha=0.99, k=40)\n"
        "findings.to_frame()[['slice_id', 'description', 'slice_size', 'slice_error', 'error_ci_low',\n"
        "                     'error_ci_high', 'p_value_adjusted', 'significant']].head(10)"
    ),
    new_markdown_cell(
        "The exact top-k lists the same group several times (babble at 0 dB, then babble at 0 dB "
        "on wideband, ...). `distinct` keeps the best of slices whose rows overlap a lot, which "
        "brings out the accent × noise intersections."
    ),
    new_code_cell(
        "distinct = bench.distinct(findings, max_overlap=0.3)\n"
        "top = distinct[0]\n"
        "assert top.significant and 'noise_type' in top.conditions\n"
        "assert any(s.significant and 'accent' in s.conditions for s in distinct)\n"
        "print(top.description, f'WER {top.slice_error:.0%} vs {findings.overall_error:.0%} overall')\n"
        "for note in findings.notes:\n"
        "    print('note:', note)\n"
        "distinct.to_frame()[['slice_id', 'description', 'slice_size', 'slice_error', 'error_ci_low',\n"
        "                     'error_ci_high', 'p_value_adjusted']]"
    ),
    new_markdown_cell(
        "Babble noise dominates. Which accents fail when the audio is quiet? Scan the clean and "
        "20 dB clips on their own (a second dataset in the same store)."
    ),
    new_code_cell(
        "quiet = clips[clips['snr'].isin(['clean', '20 dB'])].reset_index(drop=True)\n"
        "quiet_bench = wb.Workbench.from_predictions(\n"
        "    quiet, label='reference', prediction='hypothesis', metric='wer',\n"
        "    features=['accent', 'speaker', 'channel'], path=':memory:',\n"
        ")\n"
        "quiet_findings = quiet_bench.scan(alpha=0.99)\n"
        "accent_slices = [s for s in quiet_findings if s.significant and 'accent' in s.conditions]\n"
        "assert accent_slices, 'expected significant accent slices on quiet audio'\n"
        "quiet_findings.to_frame()[['description', 'slice_size', 'slice_error', 'error_ci_low',\n"
        "                           'error_ci_high', 'p_value_adjusted', 'significant']]"
    ),
    new_markdown_cell(
        "## Descriptors from the waveform\n\n"
        "A real audit rarely knows the true SNR. `AudioDescriptors` estimates it from the audio "
        "(with loudness, clipping, silences, speaking rate and bandwidth); here on up to 20 "
        "shipped clips of each condition, checked against the true mixing SNR."
    ),
    new_code_cell(
        "from scipy.stats import spearmanr\n\n"
        "from workbench.features.audio import AudioDescriptors\n\n"
        "shipped = clips.dropna(subset=['audio_path'])\n"
        "shipped = shipped.groupby('condition', observed=True).head(20).reset_index(drop=True)\n"
        "items = [{'audio': str(repo / p), 'text': t} for p, t in zip(shipped['audio_path'], shipped['reference'])]\n"
        "desc = wb.run_extractor(AudioDescriptors(), items, batch_size=64)\n"
        "noisy = shipped['snr_db_true'].notna().to_numpy()\n"
        "rho = spearmanr(desc.loc[noisy, 'snr_db'], shipped.loc[noisy, 'snr_db_true']).statistic\n"
        "print(f'estimated vs true SNR on {noisy.sum()} noisy clips: Spearman {rho:.2f}')\n"
        "desc.describe().T[['mean', 'min', 'max']]"
    ),
    new_markdown_cell(
        "Scan the descriptors of every clip (precomputed in the table with the same extractor) "
        "together with the accent — no ground-truth noise labels."
    ),
    new_code_cell(
        "descriptor_cols = ['snr_db', 'loudness_dbfs', 'clipping_share', 'speaking_rate_wps', 'bandwidth_hz']\n"
        "blind = wb.Workbench.from_predictions(\n"
        "    clips, label='reference', prediction='hypothesis', metric='wer',\n"
        "    features=['accent', *descriptor_cols], path=':memory:',\n"
        ")\n"
        "blind.scan(k=8).to_frame()[['description', 'slice_size', 'slice_error', 'p_value_adjusted', 'significant']]"
    ),
    new_markdown_cell("## Listen, flag, export"),
    new_code_cell(
        "members = bench.members(top, limit=200)\n"
        "example = members.dropna(subset=['audio_path']).iloc[0]\n"
        "display(Audio(filename=str(repo / example['audio_path'])))\n"
        "HTML(alignment_html(example['reference'], example['hypothesis']))"
    ),
    new_code_cell(
        "bench.flag(top, note='babble noise at low SNR')\n"
        "bench.flagged().to_csv(out / 'speech_flagged.csv')\n"
        "bench.export_claim(top, out / 'speech_claim.json')\n"
        "pd.read_csv(out / 'speech_flagged.csv')[['slice_id', 'description', 'slice_error', 'flag_note']]"
    ),
    new_markdown_cell(
        "## Real recordings at known SNRs\n\n"
        "The sample above is synthetic. Here five real read-speech clips (Debian's "
        "`pocketsphinx-testdata`, installed by `scripts/install.sh`) are mixed with white noise "
        "at 10 and 0 dB and with the other four clips (babble) at 0 dB, and every mix, clean "
        "included, is also passed through a telephone band, so the channel is not confounded "
        "with the noise. The offline recogniser transcribes them all with a small language "
        "model of the card names (like command recognition; the generic model is about six "
        "times slower). The section is skipped when the clips are not installed."
    ),
    new_code_cell(
        "import re\n"
        "from pathlib import Path\n"
        "\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "from scipy import signal\n"
        "\n"
        "import workbench as wb\n"
        "from workbench.adapters import PocketSphinxASR\n"
        "from workbench.features.audio import AudioDescriptors, load_audio, resample\n"
        "\n"
        "data = Path('/usr/share/pocketsphinx/test/data')\n"
        "have_real = (data / 'cards' / '001.wav').exists()\n"
        "print('real clips found' if have_real else 'apt-get install pocketsphinx-testdata to run this section')"
    ),
    new_code_cell(
        "if have_real:\n"
        "    refs = {}\n"
        "    for line in (data / 'cards' / 'cards.transcription').read_text().splitlines():\n"
        "        match = re.match(r'<s>(.*)</s> \\((.*)\\)', line.strip())\n"
        "        refs[data / 'cards' / f'{match.group(2)}.wav'] = match.group(1).strip()\n"
        "    rng = np.random.default_rng(0)\n"
        "    phone = signal.butter(8, [300, 3400], btype='bandpass', fs=16000, output='sos')\n"
        "    asr = PocketSphinxASR(sentences=list(refs.values()))\n"
        "    rows = []\n"
        "    for path, text in refs.items():\n"
        "        speech, rate = load_audio(path)\n"
        "        power = np.mean(speech ** 2)\n"
        "        for noise, snr in [('clean', None), ('white', 10), ('white', 0), ('babble', 0)]:\n"
        "            if noise == 'clean':\n"
        "                mix = speech\n"
        "            elif noise == 'white':\n"
        "                mix = speech + rng.normal(size=speech.size) * np.sqrt(power / 10 ** (snr / 10))\n"
        "            else:  # the other clips talking at once\n"
        "                others = sum(np.resize(load_audio(p)[0], speech.size) for p in refs if p != path)\n"
        "                mix = speech + others * np.sqrt(power / np.mean(others ** 2) / 10 ** (snr / 10))\n"
        "            # every mix on both channels: the channel is not confounded with the noise\n"
        "            phoned = resample(signal.sosfilt(phone, mix), rate, 8000)\n"
        "            for channel, audio, audio_rate in [('wideband', mix, rate), ('telephone', phoned, 8000)]:\n"
        "                rows.append({'clip': path.stem, 'condition': noise if snr is None else f'{noise} {snr} dB',\n"
        "                             'true_snr_db': snr, 'channel': channel, 'reference': text,\n"
        "                             'hypothesis': asr((audio, audio_rate)), 'audio': (audio, audio_rate)})\n"
        "    real = pd.DataFrame(rows)\n"
        "    described = AudioDescriptors().extract([{'audio': a, 'text': t} for a, t in zip(real['audio'], real['reference'])])\n"
        "    real = pd.concat([real.drop(columns='audio'), described], axis=1)\n"
        "    display(real[['clip', 'condition', 'channel', 'snr_db', 'bandwidth_class', 'reference', 'hypothesis']])"
    ),
    new_markdown_cell(
        "A scan over the known conditions: the noisy ones lead (babble at 0 dB, then white "
        "noise at 0 dB), and the channel alone is no finding."
    ),
    new_code_cell(
        "if have_real:\n"
        "    known = wb.Workbench.from_predictions(\n"
        "        real, label='reference', prediction='hypothesis', metric='wer',\n"
        "        features=['condition', 'channel'], path=':memory:',\n"
        "    )\n"
        "    known_findings = known.scan(min_support=3, confirm=False)\n"
        "    print(f'overall WER {known_findings.overall_error:.1%}')\n"
        "    assert known_findings[0].conditions.get('condition') in {'babble 0 dB', 'white 0 dB'}\n"
        "    assert not any(set(s.conditions) == {'channel'} for s in known_findings)\n"
        "    print(known_findings.to_frame()[['description', 'slice_size', 'slice_error', 'significant']].head(5).to_string())"
    ),
    new_markdown_cell(
        "A blind audit has only the descriptors. `snr_db < 3` finds the white-noise clips at 0 "
        "dB; babble at 0 dB reads 10-30 dB (a fluctuating noise hides between words, see the "
        "README's `snr_db` figures), so it shows up through the channel and the misread SNR "
        "rather than as low SNR. Still no `wideband` slice: the channel only appears together "
        "with the noisy rows it holds."
    ),
    new_code_cell(
        "if have_real:\n"
        "    blind_real = wb.Workbench.from_predictions(\n"
        "        real, label='reference', prediction='hypothesis', metric='wer',\n"
        "        features=['snr_db', 'noise_level_dbfs', 'bandwidth_class', 'speaking_rate_wps'], path=':memory:',\n"
        "    )\n"
        "    for s in list(blind_real.scan(min_support=3, confirm=False))[:5]:\n"
        "        held = blind_real.members(s)['condition'].value_counts()\n"
        "        print(f'{s.description}: WER {s.slice_error:.0%}; rows:', ', '.join(f'{n} {c}' for c, n in held.items()))"
    ),
    new_markdown_cell(
        "The explorer plays the member clips and highlights each transcript's word errors "
        "(substitutions, deletions, insertions)."
    ),
    new_code_cell("bench.explore(media_root=repo)"),
]

IMAGES = [
    new_markdown_cell(
        "# Images: slices by skin tone, lighting and indoor/outdoor\n\n"
        "A vision model may be less accurate for darker skin, in dim light or outdoors. With only "
        "images, labels and predictions, the workbench computes interpretable descriptors from "
        "the pixels — skin tone as the Individual Typology Angle (ITA), lighting, contrast, colour "
        "cast, indoor/outdoor, sharpness — and searches over them.\n\n"
        "**About the data.** No face dataset with skin-tone attributes installs offline, so the "
        "bundled sample is *rendered*: procedural faces (not real people) with skin colours drawn "
        "across the ITA range, dim/normal/bright light with colour casts, indoor and outdoor "
        "backgrounds, smiling or not. A real classifier (edge-orientation features and a small neural network) was trained on a "
        "deliberately skewed training set, so real error slices exist. Because the truth is known, "
        "the descriptors can be checked. `scripts/make_image_sample.py` rebuilds it."
    ),
    new_code_cell(
        "import base64\n"
        "import io\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "from IPython.display import HTML\n"
        "from PIL import Image\n\n"
        "import workbench as wb\n"
        "from workbench.features.image import ImageDescriptors\n\n"
        "faces = wb.load_sample('images')\n"
        "repo = wb.sample_path('images').parents[2]  # relative image paths start here\n\n\n"
        "def thumbs(paths, size=72):\n"
        "    tags = []\n"
        "    for p in paths:\n"
        "        buffer = io.BytesIO()\n"
        "        Image.open(repo / p).convert('RGB').resize((size, size)).save(buffer, 'JPEG')\n"
        "        data = base64.b64encode(buffer.getvalue()).decode()\n"
        '        tags.append(f\'<img src="data:image/jpeg;base64,{data}" style="margin:2px">\')\n'
        "    return HTML(''.join(tags))\n\n\n"
        "thumbs(faces['image_path'].dropna().head(12))"
    ),
    new_markdown_cell(
        "## Descriptors on real photographs\n\n"
        "ITA mixes skin tone with illumination, so the extractor normalises the exposure (the "
        "photo's bright end is brought to a level calibrated on real face photos) and measures "
        "ITA on the forehead and cheeks of each detected face. A photo without a face gets "
        "`no_face`, never a skin tone, and `skin_correction` says `cannot_correct_cast` when the "
        "brightest areas are tinted by a coloured light (flagged, not corrected). "
        "Here on the photographs that ship with scikit-image, and on the astronaut photo with the "
        "light turned down."
    ),
    new_code_cell(
        "from skimage import data\n\n"
        "astronaut = data.astronaut()\n"
        "photos = {\n"
        "    'astronaut': astronaut,\n"
        "    'astronaut, 35 % light': (astronaut * 0.35).astype(np.uint8),\n"
        "    'coffee': data.coffee(),\n"
        "    'chelsea (cat)': data.chelsea(),\n"
        "    'rocket': data.rocket(),\n"
        "}\n"
        "with ImageDescriptors() as extractor:\n"
        "    real = extractor.extract(list(photos.values()))\n"
        "real.index = list(photos)\n"
        "real[['face_count', 'skin_ita_deg_uncorrected', 'skin_ita_deg', 'skin_tone', 'skin_correction',\n"
        "      'lighting', 'scene', 'sharpness', 'colourfulness']].round(1)"
    ),
    new_markdown_cell("## How well the descriptors hold on the rendered set (truth known)"),
    new_code_cell(
        "hits = pd.DataFrame({\n"
        "    'skin tone (exact)': faces['skin_tone'] == faces['true_skin_tone'],\n"
        "    'lighting': faces['lighting'] == faces['true_lighting'],\n"
        "    'indoor/outdoor': faces['scene'] == faces['true_scene'],\n"
        "})\n"
        "hits.groupby(faces['true_lighting']).mean().round(3)"
    ),
    new_code_cell(
        "# skin-tone category per true class: faces are found in every class, dark ones included\n"
        "hits.assign(face_found=faces['face_found']).groupby(faces['true_skin_tone']).mean().round(3)"
    ),
    new_markdown_cell(
        "## Scan the measured descriptors\n\n"
        "Only what an auditor could compute from the pixels goes into the search; the true "
        "attributes stay out."
    ),
    new_code_cell(
        "descriptors = ['skin_tone', 'lighting', 'contrast', 'color_cast', 'scene', 'luminance_mean',\n"
        "               'sharpness', 'colourfulness']\n"
        "# The store and the exports go to a temporary folder, not into the repository.\n"
        "out = Path(tempfile.mkdtemp(prefix='workbench-images-'))\n"
        "bench = wb.Workbench.from_predictions(\n"
        "    faces, label='smiling', prediction='prediction', score='score', features=descriptors,\n"
        "    path=out / 'image_audit.duckdb',\n"
        ")\n"
        "findings = bench.scan()\n"
        "findings.to_frame()[['slice_id', 'description', 'slice_size', 'slice_error', 'error_ci_low',\n"
        "                     'error_ci_high', 'p_value_adjusted', 'significant']]"
    ),
    new_code_cell(
        "top = findings[0]\n"
        "assert top.significant\n"
        "print(f'{top.description}: error {top.slice_error:.1%} '\n"
        "      f'[{top.error_ci_low:.1%}, {top.error_ci_high:.1%}] vs {findings.overall_error:.1%} overall')\n"
        "for note in findings.notes:\n"
        "    print('note:', note)\n"
        "members = bench.members(top, worst_first=True, limit=400)\n"
        "thumbs(members['image_path'].dropna().head(12))"
    ),
    new_markdown_cell(
        "## Your own images: compute the descriptors inside the workbench\n\n"
        "`add_descriptors` runs an extractor over a column of image paths (or bytes), caches the "
        "result in the DuckDB store and makes the descriptors searchable. Here on the first 300 "
        "shipped images."
    ),
    new_code_cell(
        "shipped = faces.dropna(subset=['image_path'])[['image_path', 'smiling', 'prediction']].head(300).reset_index(drop=True)\n"
        "own = wb.Workbench.from_predictions(shipped, label='smiling', prediction='prediction', path=':memory:')\n"
        "with ImageDescriptors(n_jobs=2) as extractor:\n"
        "    measured = own.add_descriptors(extractor, 'image_path', base_dir=repo, progress=False)\n"
        "own.features[['feature', 'kind', 'categories']].head(8)"
    ),
    new_markdown_cell("## Flag, export, explore (thumbnails in the drill-down)"),
    new_code_cell(
        "bench.flag(top, note='dim light and dark skin')\n"
        "bench.flagged().to_csv(out / 'image_flagged.csv')\n"
        "bench.export_claim(top, out / 'image_claim.json')\n"
        "pd.read_csv(out / 'image_flagged.csv')[['slice_id', 'description', 'slice_error', 'flag_note']]"
    ),
    new_code_cell("bench.explore(media_root=repo)"),
]


LAST_MILE = [
    new_markdown_cell(
        "# The last mile: which slices got worse at a new site\n\n"
        "A speech recogniser passed the vendor's test set. It is then deployed at a new site "
        "whose machines add a kind of background noise no test condition had: a periodic, tonal "
        "machine noise (a 120 Hz hum with harmonics, and a regular clatter). The overall word "
        "error rate (WER) rises — but for whom does it rise *more*? A differential scan, "
        "`bench_new.scan(baseline=bench_old)`, searches the slices whose error rose more than "
        "the whole's, with the baseline's bins applied to the new data, a two-sample test per "
        "slice and Benjamini–Hochberg over every slice it evaluated.\n\n"
        "**About the data.** As in the speech notebook, the voices are `espeak-ng` voices that "
        "*stand in* for accents (not human accents), transcribed by PocketSphinx. The vendor's "
        "test set is the speech sample's clips under white and pink noise at 10 and 5 dB SNR; "
        "the new site is the same voices reading the same sentences with the machine noise at "
        "10 and 5 dB (`scripts/make_speech_new_site.py`, 320 clips, transcribed once and shipped)."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import pandas as pd\n\n"
        "import workbench as wb\n\n"
        "clips = wb.load_sample('speech')\n"
        "vendor = clips[clips['condition'].isin(['white 10 dB', 'white 5 dB', 'pink 10 dB', 'pink 5 dB'])]\n"
        "site = wb.load_sample('speech_new_site')\n"
        "repo = wb.sample_path('speech').parents[2]  # relative audio paths start here\n"
        "vendor = vendor.assign(snr=vendor['snr_db_true'].map('{:.0f} dB'.format))\n"
        "site = site.assign(snr=site['snr_db_true'].map('{:.0f} dB'.format))\n"
        "features = ['accent', 'speaker', 'snr', 'channel']\n"
        "print(len(vendor), 'vendor clips;', len(site), 'new-site clips')\n"
        "site[['accent', 'speaker', 'snr', 'channel', 'reference', 'hypothesis']].head()"
    ),
    new_markdown_cell(
        "## Two workbenches, one binning\n\n"
        "Each side is an ordinary workbench (`metric='wer'`: a slice's WER is the sum of its "
        "word errors over the sum of its reference words). The differential scan codes the new "
        "site with the vendor's categories and bins, so a slice is the same description on both "
        "sides. The overall change comes first."
    ),
    new_code_cell(
        "before = wb.Workbench.from_predictions(\n"
        "    vendor, label='reference', prediction='hypothesis', metric='wer', features=features,\n"
        "    name='vendor test set', path=':memory:',\n"
        ")\n"
        "after = wb.Workbench.from_predictions(\n"
        "    site, label='reference', prediction='hypothesis', metric='wer', features=features,\n"
        "    name='new site', path=':memory:',\n"
        ")\n"
        "changes = after.scan(baseline=before, min_support=10, k=8)\n"
        "print(changes.overall.describe())\n"
        "columns = ['description', 'size_baseline', 'size_new', 'error_baseline', 'error_new', 'change',\n"
        "           'change_ci_low', 'change_ci_high', 'p_value_adjusted', 'significant']\n"
        "changes.to_frame()[columns].round(3)"
    ),
    new_code_cell(
        "top = changes[0]\n"
        "assert changes.overall.change_ci_low > 0 and top.significant\n"
        "print(f'{top.description}: WER {top.error_baseline:.1%} -> {top.error_new:.1%}, change '\n"
        "      f'{top.change:+.1%} [{top.change_ci_low:+.1%}, {top.change_ci_high:+.1%}] '\n"
        "      f'vs {changes.overall.change:+.1%} overall ({top.test}, adjusted p {top.p_value_adjusted:.2g})')\n"
        "for note in changes.notes[1:]:\n"
        "    print('note:', note)"
    ),
    new_markdown_cell(
        "The top finding is not an accent: it is the male voices (`speaker = m1`) on the "
        "wideband channel. The hum's 120 Hz fundamental and its low harmonics sit in the pitch "
        "range of those voices, and the telephone band (300–3400 Hz) filters most of them out "
        "— a plausible reading; the scan only says *where* the error rose more, not why."
    ),
    new_markdown_cell(
        "## The accents, one by one\n\n"
        "The same comparison by accent alone (no search): the rise differs between voices. "
        "With 40 new-site clips per accent the intervals are wide; the scan above only reports "
        "what survives the correction for every slice it tried."
    ),
    new_code_cell(
        "def wer_by(frame, column):\n"
        "    sums = frame.groupby(column, observed=True)[['word_errors', 'ref_words']].sum()\n"
        "    return sums['word_errors'] / sums['ref_words']\n\n\n"
        "by_accent = pd.DataFrame({'vendor': wer_by(vendor, 'accent'), 'new site': wer_by(site, 'accent')})\n"
        "by_accent['rise'] = by_accent['new site'] - by_accent['vendor']\n"
        "by_accent.sort_values('rise', ascending=False).round(3)"
    ),
    new_markdown_cell(
        "## Control: a uniform degradation finds nothing beyond the overall shift\n\n"
        "Here every vendor transcript gets extra inserted words at the same rate, whoever speaks "
        "(on average 15 insertions per 100 reference words), so WER rises by the same amount, "
        "in expectation, for every voice and condition. The differential scan reports the overall change and no slice, because "
        "slices are ranked and tested by how much *more* they changed than the whole."
    ),
    new_code_cell(
        "rng = np.random.default_rng(0)\n\n\n"
        "def insert_words(text, rate):\n"
        "    words = str(text).split()\n"
        "    out = []\n"
        "    for word in words:\n"
        "        out.append(word)\n"
        "        out.extend(['uh'] * rng.poisson(rate))\n"
        "    return ' '.join(out)\n\n\n"
        "degraded = vendor.assign(\n"
        "    hypothesis=[insert_words(h, 0.15 * r / max(len(str(h).split()), 1))\n"
        "                for h, r in zip(vendor['hypothesis'], vendor['ref_words'])])\n"
        "control = wb.Workbench.from_predictions(\n"
        "    degraded, label='reference', prediction='hypothesis', metric='wer', features=features,\n"
        "    name='uniform degradation', path=':memory:',\n"
        ")\n"
        "uniform = control.scan(baseline=before, min_support=10, k=8)\n"
        "print(uniform.overall.describe())\n"
        "assert uniform.overall.change_ci_low > 0 and not uniform.significant\n"
        "print(len(uniform), 'slices changed more than the whole;', len(uniform.significant), 'significant')"
    ),
    new_markdown_cell(
        "## The change view\n\n"
        "Before and after per slice with intervals, sorted by change; pick a slice to see its "
        "worst rows on both sides (with the new site's audio where it is shipped)."
    ),
    new_code_cell(
        "after.explore(baseline=before, result=changes, media_root=repo, column_kinds={'audio_path': 'audio'})"
    ),
]


BOUNTY = [
    new_markdown_cell(
        "# A bias bounty on census income\n\n"
        "The owner of a model invites outside teams to find groups where it does badly *and* "
        'to bring a better model for each group (Globus-Harris, Kearns & Roth, "An Algorithmic '
        'Framework for Bias Bounties", FAccT 2022). A submission is a pair (g, h): a group g, '
        "written as typed conditions on the columns (never SQL or code), and a model h in a "
        "safe-to-load file. The owner certifies it on a **holdout the teams never see**: with "
        "μ̂ the group's share of the holdout and Δ̂ = err(f_t | g) − err(h | g), the pair is "
        "accepted iff μ̂·Δ̂ ≥ α. An accepted pair goes in front of a *pointer decision list*; "
        "every earlier certified group that got worse is pointed back to the version where it "
        "was best. Overall error never rises, and no certified group gets worse.\n\n"
        "Here: the bundled UCI Adult data. The owner's holdout is the 16,281 test rows; three "
        "teams each get a third of the 32,561 training rows."
    ),
    new_code_cell(
        "import json\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "import skops.io as sio\n"
        "from sklearn.compose import make_column_transformer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler\n"
        "from sklearn.tree import DecisionTreeClassifier\n\n"
        "import workbench as wb\n"
        "from workbench.bounty import as_group, holdout_rows_needed\n\n"
        "public = wb.load_sample('adult_train')         # what the teams can use\n"
        "holdout = wb.load_sample('adult')              # the owner's holdout\n"
        "features = [c for c in public.columns if c != 'income']\n"
        "out = Path(tempfile.mkdtemp(prefix='workbench-bounty-'))  # stores and files go here\n"
        "print(len(public), 'public rows;', len(holdout), 'holdout rows')"
    ),
    new_markdown_cell(
        "## The owner: a deliberately crude model and the bounty's terms\n\n"
        "f₀ is a logistic regression on age and hours per week only. How small can α be? The "
        "holdout certifies at most a budget of updates (⌊2/α⌋ by default); for every accepted "
        "update to truly lower the error by at least α/2 (with probability 95 %), Hoeffding's "
        "bound with a union over the budget needs 8·ln(budget/δ)/α² holdout rows. With 16,281 "
        "rows the owner picks α = 0.045 and a budget of 3 updates."
    ),
    new_code_cell(
        "f0 = make_pipeline(\n"
        "    make_column_transformer((StandardScaler(), ['age', 'hours_per_week'])),\n"
        "    LogisticRegression(),\n"
        ").fit(public[features], public['income'])\n\n"
        "for alpha, budget in [(0.01, 200), (0.02, 100), (0.045, 22), (0.045, 3)]:\n"
        "    print(f'alpha={alpha:<6} budget={budget:<4} needs {holdout_rows_needed(alpha, budget):>9,} rows')\n\n"
        "bounty = wb.Bounty.create(\n"
        "    out / 'bounty.duckdb', model=f0, X=holdout[features], y=holdout['income'],\n"
        "    alpha=0.045, budget=3,\n"
        ")\n"
        "bounty"
    ),
    new_markdown_cell(
        "## Three teams: scan, train on their own rows, submit\n\n"
        "Each team predicts its own rows with the *current* model (the owner publishes it), "
        "scans the errors with Slice Workbench, and for its three best distinct slices trains "
        "a small decision tree on half of its rows in the slice and measures the gain on the "
        "other half — the team's own estimate of μ·Δ. It submits the best one as files: the "
        "group as JSON (typed predicates) and the model as a skops file."
    ),
    new_code_cell(
        "categorical = [c for c in features if public[c].dtype == object or str(public[c].dtype) in ('str', 'string')]\n"
        "numeric = [c for c in features if c not in categorical]\n"
        "scan_columns = ['age', 'education', 'marital_status', 'occupation', 'relationship', 'race',\n"
        "                'sex', 'hours_per_week']\n\n"
        "def learner():\n"
        "    return make_pipeline(\n"
        "        make_column_transformer((OneHotEncoder(handle_unknown='ignore'), categorical),\n"
        "                                ('passthrough', numeric)),\n"
        "        DecisionTreeClassifier(max_depth=8, min_samples_leaf=30, random_state=0),\n"
        "    )\n\n"
        "rng = np.random.default_rng(0)\n"
        "team_of_row = rng.integers(0, 3, len(public))\n\n"
        "def play(team, own):\n"
        "    current = bounty.model.predict(own[features])\n"
        "    bench = wb.Workbench.from_predictions(\n"
        "        own.assign(current=current), label='income', prediction='current',\n"
        "        features=scan_columns, path=out / f'{team}.duckdb',\n"
        "    )\n"
        "    slices = bench.distinct(bench.scan(k=10, max_predicates=2, min_support=0.1), max_overlap=0.5)\n"
        "    fit_half = rng.random(len(own)) < 0.5\n"
        "    best = None\n"
        "    for candidate in list(slices)[:3]:\n"
        "        rows = as_group(candidate).mask(own)\n"
        "        h = learner().fit(own.loc[rows & fit_half, features], own.loc[rows & fit_half, 'income'])\n"
        "        check = rows & ~fit_half\n"
        "        gain = ((current[check] != own.loc[check, 'income']).sum()\n"
        "                - (h.predict(own.loc[check, features]) != own.loc[check, 'income']).sum()) / (~fit_half).sum()\n"
        "        print(f'{team}: {candidate.description:<60} own estimate of mu*Delta {gain:+.4f}')\n"
        "        if best is None or gain > best[0]:\n"
        "            best = (gain, candidate, rows)\n"
        "    _, chosen, rows = best\n"
        "    h = learner().fit(own.loc[rows, features], own.loc[rows, 'income'])\n"
        "    group_file, model_file = out / f'{team}_group.json', out / f'{team}_h.skops'\n"
        "    with open(group_file, 'w') as f:\n"
        "        json.dump(as_group(chosen).to_records(), f)\n"
        "    sio.dump(h, model_file)\n"
        "    return bounty.submit(group_file, model_file, submitter=team)\n\n"
        "results = []\n"
        "for number, team in enumerate(['team-a', 'team-b', 'team-c']):\n"
        "    own = public[team_of_row == number].reset_index(drop=True)\n"
        "    results.append(play(team, own))\n"
        "    print(results[-1], end='\\n\\n')"
    ),
    new_markdown_cell(
        "A team submits its best guess even when its own estimate is poor: the holdout "
        "decides. Every report gives μ̂, both errors with 95 % Wilson intervals and a one-sided exact "
        "McNemar test of err(h | g) < err(f_t | g). A later submission can be *significantly* "
        "better on its group and still be rejected: the gain μ̂·Δ̂ is below α, the least "
        "improvement this holdout can certify."
    ),
    new_code_cell(
        "assert any(r.accepted for r in results), 'expected at least one certified update'\n"
        "accepted = [r for r in results if r.accepted]\n"
        "first = accepted[0].report\n"
        "assert first['overall_error_after'] <= first['overall_error_before'] - first['improvement'] + 1e-12\n"
        "pd.Series(first).drop(['group_predicates', 'repairs'])"
    ),
    new_markdown_cell("## Ledger and leaderboard"),
    new_code_cell(
        "bounty.ledger()[['submission_id', 'submitter', 'group', 'verdict', 'mu', 'current_error',\n"
        "                 'candidate_error', 'improvement', 'p_value', 'overall_error_before',\n"
        "                 'overall_error_after', 'repairs']]"
    ),
    new_code_cell("bounty.leaderboard()"),
    new_code_cell("bounty.heatmap()"),
    new_code_cell("bounty.error_curve()"),
    new_markdown_cell(
        "## Safety: a pickle is refused, and nothing changes\n\n"
        "Models arrive only as skops files (with scikit-learn's types, or types the owner "
        "lists as trusted) or ONNX. A pickle runs code when opened, so it is refused before "
        "anything is read; the ledger and the list stay as they were."
    ),
    new_code_cell(
        "import pickle\n\n"
        "with open(out / 'sneaky.pkl', 'wb') as f:\n"
        "    pickle.dump(f0, f)\n"
        "n_before = len(bounty.ledger())\n"
        "try:\n"
        "    bounty.submit({'sex': 'Female'}, out / 'sneaky.pkl', submitter='team-x')\n"
        "except wb.InputFileError as error:\n"
        "    print(error)\n"
        "assert len(bounty.ledger()) == n_before"
    ),
    new_markdown_cell(
        "## The list, saved and reopened\n\n"
        "The holdout, the list, the rounds and the ledger are in `bounty.duckdb`; the models "
        "are in `bounty.models/` next to it, named by their SHA-256 and checked when reopened."
    ),
    new_code_cell(
        "before = bounty.model.predict(holdout[features])\n"
        "bounty.close()\n"
        "bounty = wb.Bounty.open(out / 'bounty.duckdb')\n"
        "assert np.array_equal(bounty.model.predict(holdout[features]), before)\n"
        "bounty.model.to_frame()"
    ),
    new_markdown_cell(
        "## What is left: the owner scans the final model on the holdout\n\n"
        "The remaining failure slices are where the next round of the bounty should look."
    ),
    new_code_cell(
        "final = wb.Workbench.from_predictions(\n"
        "    holdout.assign(final_model=bounty.model.predict(holdout[features])),\n"
        "    label='income', prediction='final_model', features=scan_columns, path=out / 'owner.duckdb',\n"
        ")\n"
        "final.scan(k=10, max_predicates=2)\n"
        "final.explore()"
    ),
]


def main() -> None:
    notebooks = {
        "02_speech_accent_noise.ipynb": SPEECH,
        "03_images_skin_tone_lighting.ipynb": IMAGES,
        "04_bias_bounty.ipynb": BOUNTY,
        "05_last_mile.ipynb": LAST_MILE,
    }
    for name, cells in notebooks.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, ROOT / "notebooks" / name)
        print("wrote", name)


if __name__ == "__main__":
    main()
