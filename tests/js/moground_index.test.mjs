// Tests backend/moground/blender/flamenco/moground_index.js as Flamenco Manager runs it
// (see flamenco_harness.mjs). tests/test_library_index.py runs the compiled commands.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkJobType, compile as compileScript } from "./flamenco_harness.mjs";

const compile = (settings) => compileScript("moground_index.js", settings);

test("JOB_TYPE settings follow Flamenco's AvailableJobSetting schema", () => {
    const JOB_TYPE = checkJobType("moground_index.js", ["paths", "library", "shards", "moground"]);
    assert.ok(JOB_TYPE.settings.find((s) => s.key === "paths").required);
    assert.ok(JOB_TYPE.settings.find((s) => s.key === "library").required);
});

test("one index task per shard, then a merge task that waits for all of them", () => {
    const tasks = compile({
        paths: "/mocap/cmu\n/mocap/bandai;/mocap/takes/a.blend", library: "/farm/lib/", shards: 3,
        jobs: 2, moground: "/opt/venv/bin/moground", extra_args: " --encoder-path  /farm/builtin.pt ",
    });
    assert.equal(tasks.length, 4);
    const shards = tasks.slice(0, 3);
    const merge = tasks[3];
    shards.forEach((t, i) => {
        assert.equal(t.commands.length, 1);
        const { name, parameters: p } = t.commands[0];
        assert.equal(name, "exec");
        assert.equal(p.exe, "/opt/venv/bin/moground");
        const a = Array.from(p.args);
        assert.deepEqual(a.slice(0, 4), ["index", "/mocap/cmu", "/mocap/bandai", "/mocap/takes/a.blend"]);
        const opt = (k) => a[a.indexOf(k) + 1];
        assert.equal(opt("--shard"), `${i}/3`);
        assert.equal(opt("--out"), `/farm/lib.shards/shard-${i}-of-3`);
        assert.equal(opt("--jobs"), "2");
        assert.equal(opt("--encoder-path"), "/farm/builtin.pt");
        assert.ok(a.includes("--no-progress"));
    });
    assert.equal(new Set(tasks.map((t) => t.name)).size, 4, "task names are unique");
    const m = merge.commands[0].parameters;
    assert.deepEqual(Array.from(m.args), ["index", "merge", "/farm/lib",
        "/farm/lib.shards/shard-0-of-3", "/farm/lib.shards/shard-1-of-3", "/farm/lib.shards/shard-2-of-3"]);
    assert.deepEqual(merge.deps, shards);
    assert.ok(shards.every((t) => t.deps.length === 0), "shards run in parallel");
});

test("bad settings are refused at compile time", () => {
    assert.throws(() => compile({ paths: " ;\n", library: "/lib" }), /no paths/);
    assert.throws(() => compile({ paths: "/a", library: " " }), /library/);
    assert.throws(() => compile({ paths: "/a", library: "/lib", shards: 0 }), /shards/);
    assert.throws(() => compile({ paths: "/a", library: "/lib", jobs: 1.5 }), /jobs/);
});
