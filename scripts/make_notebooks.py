"""Write the worked-example notebooks for speech and images from plain cell lists.

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
        "(with loudness, clipping, silences, speaking rate and bandwidth); here on the shipped "
        "clips, checked against the true mixing SNR."
    ),
    new_code_cell(
        "from scipy.stats import spearmanr\n\n"
        "from workbench.features.audio import AudioDescriptors\n\n"
        "shipped = clips.dropna(subset=['audio_path']).reset_index(drop=True)\n"
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
        "ITA mixes skin tone with illumination, so the extractor estimates the light (from the "
        "whites of the eyes, or grey-world on the background) and divides it out before measuring. "
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
        "real[['face_found', 'skin_ita_deg_uncorrected', 'skin_ita_deg', 'skin_tone', 'lighting', 'scene',\n"
        "      'sharpness', 'colourfulness']].round(1)"
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
        "result in the DuckDB store and makes the descriptors searchable. Here on the 300 "
        "shipped images."
    ),
    new_code_cell(
        "shipped = faces.dropna(subset=['image_path'])[['image_path', 'smiling', 'prediction']].reset_index(drop=True)\n"
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


def main() -> None:
    notebooks = {
        "02_speech_accent_noise.ipynb": SPEECH,
        "03_images_skin_tone_lighting.ipynb": IMAGES,
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
