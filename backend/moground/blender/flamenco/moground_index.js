// SPDX-License-Identifier: MIT
//
// MoGround: Flamenco 3 job type "moground-index" (the name comes from this file's
// name). Install by copying this file into the `scripts` folder next to the
// flamenco-manager executable. It builds a searchable library index of mocap takes
// on the farm: N tasks each run `moground index PATHS --shard i/N` into their own
// shard folder (kept between runs, so a re-run only encodes what changed), then one
// task, after all of them, joins the shards with `moground index merge`. The workers
// need MoGround installed (the `moground` command) and the paths as they see them.
// See docs/library.md.

const JOB_TYPE = {
    label: "MoGround Index",
    description: "Index mocap takes for text search, in shards, then merge them into one library",
    settings: [
        { key: "paths", type: "string", required: true,
          description: "Mocap files or folders to index, one per line (or separated by ';')" },
        { key: "library", type: "string", subtype: "dir_path", required: true,
          description: "Index folder to create or update; shards are kept in '<library>.shards/'" },
        { key: "shards", type: "int32", default: 4,
          description: "Number of shard tasks (each indexes about 1/N of the files)" },
        { key: "jobs", type: "int32", default: 1,
          description: "Encoder processes per shard task" },
        { key: "moground", type: "string", default: "moground",
          description: "The moground command on the workers (a path or a Manager variable)" },
        { key: "extra_args", type: "string", default: "",
          description: "More `moground index` arguments, separated by spaces (e.g. --encoder-path /farm/builtin.pt)" },
    ],
};

function compileJob(job) {
    const settings = job.settings;
    const paths = splitList(settings.paths);
    if (paths.length == 0) {
        throw "MoGround: no paths to index in 'paths'";
    }
    const library = String(settings.library || "").trim().replace(/[\\/]+$/, "");
    if (!library) {
        throw "MoGround: the 'library' setting is empty";
    }
    const n = Number(settings.shards);
    if (!Number.isInteger(n) || n < 1) {
        throw `MoGround: 'shards' must be a whole number of at least 1, got ${settings.shards}`;
    }
    const jobs = Number(settings.jobs || 1);
    if (!Number.isInteger(jobs) || jobs < 1) {
        throw `MoGround: 'jobs' must be a whole number of at least 1, got ${settings.jobs}`;
    }
    const exe = String(settings.moground || "moground").trim();
    const extra = String(settings.extra_args || "").split(/\s+/).filter((a) => a);
    const shardDirs = [];
    const shardTasks = [];
    for (let i = 0; i < n; i++) {
        const out = shardFolder(library, i, n);
        shardDirs.push(out);
        const task = author.Task(`index-shard-${i}-of-${n}`, "misc");
        task.addCommand(author.Command("exec", {
            exe: exe,
            args: ["index"].concat(paths, ["--out", out, "--shard", `${i}/${n}`, "--jobs", String(jobs),
                                           "--no-progress"], extra),
        }));
        job.addTask(task);
        shardTasks.push(task);
    }
    const merge = author.Task("merge-shards", "misc");
    merge.addCommand(author.Command("exec", {
        exe: exe,
        args: ["index", "merge", library].concat(shardDirs),
    }));
    for (const t of shardTasks) {
        merge.addDependency(t);
    }
    job.addTask(merge);
}

// One entry per line or ';'-separated, blanks dropped.
function splitList(text) {
    return String(text || "").split(/[;\r\n]+/).map((s) => s.trim()).filter((s) => s);
}

// Shard folders beside the library, named by their place and count, so that a run
// with another shard count never merges stale shards of an earlier one.
function shardFolder(library, i, n) {
    return `${library}.shards/shard-${i}-of-${n}`;
}
