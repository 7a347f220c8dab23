"""benchmarks/learning_curves.py: the figure from the manifests' curves and the README's table of training time."""

import importlib.util
import json

from git_repo import commit_all, needs_git

from conftest import REPO

spec = importlib.util.spec_from_file_location("learning_curves", REPO / "benchmarks" / "learning_curves.py")
lc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lc)

ENTRIES = {
    "net_a": {"steps": 3000, "train_seconds_total": 5400.0, "machine": "Some CPU, 2 cores, Linux", "date": "2026-12-06",
              "learning_curve": [{"step": 250, "seconds": 450.0, "HDR brackets/psnr_mu": 28.0},
                                 {"step": 500, "seconds": 900.0, "HDR brackets/psnr_mu": 30.0}],
              "baselines": {"medium frame": {"HDR brackets": {"psnr_mu": 29.0}}}},
    "net_b": {"steps": 400, "train_seconds_total": 360.0, "machine": "Other CPU, 8 cores", "date": "2026-11-28",
              "recipe": {"pretrain_steps": 1000}},
}  # fmt: skip


def test_table_gives_steps_minutes_and_core_hours():
    rows = lc.table(ENTRIES).splitlines()
    assert (
        rows[2] == "| `net_a` | 3,000 | 90 min | 3.0 | 2 points | Some CPU, 2 cores, 2026-12-06 |"
    )  # 1.5 h x 2
    assert (
        rows[3] == "| `net_b` | 1,000 + 400 | 6 min | 0.8 | not recorded | Other CPU, 8 cores, 2026-11-28 |"
    )  # 0.1 h x 8
    assert rows[-1] == "| all | | 1.6 h | | | |"  # (5400 + 360) / 3600


def test_figure_draws_the_methods_with_a_curve_and_names_the_others(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(ENTRIES))
    out = tmp_path / "curves.png"
    assert lc.main(["--manifest", str(manifest), "--out", str(out)]) == 0
    assert out.stat().st_size > 5_000
    assert lc.draw(ENTRIES, tmp_path / "again.png") == ["net_b"]
    assert lc.main(["--manifest", str(tmp_path / "absent.json"), "--out", str(out)]) == 2


def test_scores_table_puts_each_method_beside_its_first_classical_baseline():
    entries = {
        "dehazer": {"scores": {"uniform": {"psnr": 18.357, "ssim": 0.8}, "uneven": {"psnr": 17.607, "ssim": 0.79}},
                    "baselines": {"input": {"uniform": {"psnr": 12.5}, "uneven": {"psnr": 12.8}},
                                  "prior": {"uniform": {"psnr": 22.143}, "uneven": {"psnr": 18.698}}}},
        "sr": {"scores": {"width 1": {"x2": {"psnr": 35.6}}, "width 0.25": {"x2": {"psnr": 35.12}}},
               "baselines": {"bicubic": {"x2": {"psnr": 33.2}}}},
        "hdr": {"scores": {"brackets": {"psnr_mu": 37.111, "psnr": 41.6}}, "baselines": {}},
        "untrained": {"steps": 10},
    }  # fmt: skip
    rows = lc.scores_table(entries).splitlines()
    assert rows[2] == "| `dehazer` | uniform / uneven | 18.36 / 17.61 dB | prior: 22.14 / 18.70 dB |"
    assert rows[3] == "| `hdr` | brackets | 37.11 dB PSNR-mu | none |"
    assert rows[4] == "| `sr` | x2 | 35.60 dB (width 1); 35.12 dB (width 0.25) | bicubic: 33.20 dB |"
    assert len(rows) == 5


def test_the_recipe_flattens_the_slimmable_networks_scores_for_its_curve(tmp_path):
    from script_loader import load_script

    recipe = load_script("train_course_weights")
    nested = {"width 1": {"x2": {"psnr": 35.6, "ssim": 0.94}}, "width 0.25": {"x2": {"psnr": 35.1, "ssim": 0.93}}}
    assert recipe.flat_scores(nested) == {"width 1/x2/psnr": 35.6, "width 1/x2/ssim": 0.94,
                                          "width 0.25/x2/psnr": 35.1, "width 0.25/x2/ssim": 0.93}  # fmt: skip
    assert recipe.flat_scores({"low light": {"psnr": 15.4}}) == {"low light/psnr": 15.4}
    entry = {"steps": 500, "baselines": {"bicubic": {"x2": {"psnr": 33.2}}},
             "learning_curve": [{"step": 250, "seconds": 100.0, **recipe.flat_scores(nested)},
                                {"step": 500, "seconds": 200.0, **recipe.flat_scores(nested)}]}  # fmt: skip
    assert lc.draw({"edsr": entry}, tmp_path / "sr.png") == []


def test_a_stopped_try_is_drawn_against_its_steps_and_titled_as_not_shipped(tmp_path):
    try_file = tmp_path / "net_tanh_curve.json"
    try_file.write_text(json.dumps({
        "method": "net_c", "baselines": {"prior": {"haze/psnr": 22.1}},
        "learning_curve": [{"step": 250, "haze/psnr": 17.4, "haze/ssim": 0.6},
                           {"step": 500, "haze/psnr": 16.9, "haze/ssim": 0.6}]}))  # fmt: skip
    name, entry = lc.read_try(try_file)
    assert name == "net_c (try, not shipped, 500 steps)" and entry["steps"] == 500
    keys, steps, hours, values, base = lc.panel_data(entry)
    assert keys == ["haze/psnr"] and steps == [250, 500] and hours == [None, None]
    assert base == {"prior": {"haze/psnr": 22.1}}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(ENTRIES))
    out = tmp_path / "curves.png"
    assert lc.main(["--manifest", str(manifest), "--out", str(out), "--tries", str(try_file)]) == 0
    try_file.write_text(json.dumps({"method": "net_c", "label": "wider", "learning_curve": [{"step": 9, "haze/psnr": 1.0}]}))
    assert lc.read_try(try_file)[0] == "net_c (try, wider, not shipped, 9 steps)"
    try_file.write_text(json.dumps({"learning_curve": []}))
    assert lc.main(["--manifest", str(manifest), "--out", str(out), "--tries", str(try_file)]) == 2


def test_the_recipe_joins_its_fine_tuning_stage_to_the_main_curve_and_table():
    from script_loader import load_script

    from course_lib.train import History

    recipe = load_script("train_course_weights")
    main = History(step=[1, 2, 3], loss=[0.3, 0.2, 0.1], lr=[1e-3] * 3, step_time=[2.0, 1.0, 1.0],
                   metrics=[{"step": 3, "x2/psnr": 35.0}])  # fmt: skip
    tuned = History(step=[1, 2], loss=[0.09, 0.08], lr=[1e-4] * 2, step_time=[1.5, 0.5],
                    metrics=[{"step": 2, "x2/psnr": 35.1}])  # fmt: skip
    both = recipe.joined(main, tuned)
    assert both.step == [1, 2, 3, 4, 5] and both.loss[-1] == 0.08
    assert recipe.learning_curve(both) == [{"step": 3, "seconds": 4.0, "x2/psnr": 35.0},
                                           {"step": 5, "seconds": 6.0, "x2/psnr": 35.1}]  # fmt: skip
    full = {"steps": 20000, "lr": 5e-4, "patch": 64, "finetune": {"steps": 5000, "lr": 1e-4, "ema": 0.999}}
    stage = recipe.finetune_recipe(full)
    assert stage == {"steps": 5000, "lr": 1e-4, "patch": 64, "ema": 0.999}
    assert recipe.describe_finetune({"steps": 5000, "lr": 1e-4, "patch": 96, "ema": 0.999, "more_photos": True}) == (
        "lr 0.0001, 96-px crops, EMA 0.999, the 13 further photos")
    entry = {"steps": 25000, "train_seconds_total": 3600.0, "machine": "CPU, 2 cores", "date": "2026-12-06",
             "recipe": full}  # fmt: skip
    assert lc.table({"edsr": entry}).splitlines()[2].startswith("| `edsr` | 20,000 + 5,000 fine-tuning | 60 min |")


def test_the_recipe_moves_hdr_brackets_by_up_to_max_shift_pixels():
    import numpy as np
    from script_loader import load_script

    from course_lib.models import get_method

    recipe = load_script("train_course_weights")
    photo = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32) * 0.2  # dark: nothing clips
    spec = get_method("efficient_hdr")

    def largest_shift(max_shift):
        keys = {"patch": None, "per_photo": 12} | ({"max_shift": max_shift} if max_shift is not None else {})
        data = recipe.make_data(spec, [photo], keys)
        found = 0
        for i in range(len(data)):
            frames, _ = data[i]
            medium, long_ = frames[3:6, 8:-8, 8:-8], frames[6:9]
            # the long frame's displacement: the offset where it best matches the medium frame's pattern
            errors = {(dy, dx): np.abs(np.roll(long_, (dy, dx), axis=(1, 2))[:, 8:-8, 8:-8] ** 2.2 / 4
                                       - medium**2.2).mean() for dy in range(-4, 5) for dx in range(-4, 5)}  # fmt: skip
            dy, dx = min(errors, key=errors.get)
            found = max(found, abs(dy), abs(dx))
        return found

    assert largest_shift(None) == 1  # the recipe's default motion
    assert largest_shift(3) == 3


def test_the_student_alone_runs_the_same_stages_as_the_recipe(monkeypatch, tmp_path):
    """The comparison run of CSD gets the recipe's main stage and its fine-tuning stage (same steps, lr, EMA,
    photos), each in its own checkpoint folder; ``fit`` is replaced by a recorder, nothing trains."""
    import numpy as np
    from script_loader import load_script

    import course_lib.train
    from course_lib import quality

    recipe = load_script("train_course_weights")
    calls = []

    def fake_fit(net, loss_fn, data, **kw):
        calls.append({k: kw.get(k) for k in ("steps", "lr", "ema", "ckpt_dir")} | {"photos": len(data.photos)})

    monkeypatch.setattr(course_lib.train, "fit", fake_fit)
    monkeypatch.setattr(recipe, "load_init", lambda net, method, out: None)
    monkeypatch.setattr(quality, "score", lambda method, net, **kw: {"x2": {"psnr": 1.0, "width": kw}})
    monkeypatch.setattr(recipe, "make_data", lambda spec, photos, keys: type("D", (), {"photos": photos})())
    keys = {"steps": 6000, "lr": 1e-3, "batch": 8, "patch": 48, "per_photo": 8, "init": "edsr",
            "finetune": {"steps": 1500, "lr": 1e-4, "ema": 0.999}}  # fmt: skip
    photo = np.zeros((8, 8, 3), np.float32)
    scores = recipe.student_alone("csd", [photo] * 3, tmp_path, tmp_path, keys, finetune_photos=[photo])
    assert scores == {"width 0.25": {"x2": {"psnr": 1.0, "width": {"width_mult": 0.25}}}}
    assert [(c["steps"], c["lr"], c["ema"], c["photos"]) for c in calls] == [(6000, 1e-3, None, 3),
                                                                            (1500, 1e-4, 0.999, 4)]  # fmt: skip
    assert calls[0]["ckpt_dir"] != calls[1]["ckpt_dir"]


@needs_git
def test_a_last_stage_on_earlier_weights_is_counted_with_the_run_it_continued(tmp_path):
    repo = tmp_path / "repo"
    (repo / "course_lib" / "weights").mkdir(parents=True)
    start = {"steps": 3000, "train_seconds_total": 3600.0, "recipe": {"pretrain_steps": 1000},
             "learning_curve": [{"step": 3000, "seconds": 3600.0, "haze/psnr": 18.0}]}  # fmt: skip
    (repo / "course_lib" / "weights" / "manifest.json").write_text(json.dumps({"net": start}))
    commit = commit_all(repo)
    last = {"steps": 1500, "train_seconds_total": 1800.0, "machine": "Some CPU, 2 cores", "date": "2026-12-07",
            "recipe": {"init": f"net@{commit}"}, "learning_curve": [{"step": 250, "seconds": 300.0, "haze/psnr": 18.5}]}
    joined = lc.with_start("net", last, repo)
    assert [(p["step"], p["seconds"]) for p in joined["learning_curve"]] == [(3000, 3600.0), (3250, 3900.0)]
    assert lc.table({"net": joined}).splitlines()[2] == (
        "| `net` | 1,000 + 3,000 + 1,500 last stage | 90 min | 3.0 | 2 points | Some CPU, 2 cores, 2026-12-07 |")
    assert lc.with_start("other", last, repo) is last  # another method's weights (csd from edsr): not joined
    assert "start" not in lc.with_start("net", {**last, "recipe": {"init": "net@0000000"}}, repo)  # unknown commit
    (repo / "course_lib" / "weights" / "manifest.json").write_text(json.dumps({"net": last}))
    second = commit_all(repo)  # a further stage on the last stage: the whole chain is counted
    further = {**last, "steps": 2000, "train_seconds_total": 2400.0, "recipe": {"init": f"net@{second}"},
               "learning_curve": [{"step": 2000, "seconds": 2400.0, "haze/psnr": 19.0}]}  # fmt: skip
    chain = lc.with_start("net", further, repo)
    assert [(p["step"], p["seconds"]) for p in chain["learning_curve"]] == [(3000, 3600.0), (3250, 3900.0),
                                                                            (6500, 7800.0)]  # fmt: skip
    assert lc.table({"net": chain}).splitlines()[2] == (
        "| `net` | 1,000 + 3,000 + 1,500 last stage + 2,000 last stage | 130 min | 4.3 | 3 points "
        "| Some CPU, 2 cores, 2026-12-07 |")
