// Tests backend/moground/blender/flamenco/moground_segment.js as Flamenco Manager runs it
// (see flamenco_harness.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkJobType, compile as compileScript } from "./flamenco_harness.mjs";

const compile = (settings) => compileScript("moground_segment.js", settings);

test("JOB_TYPE settings follow Flamenco's AvailableJobSetting schema", () => {
    const JOB_TYPE = checkJobType("moground_segment.js", ["prompt", "backend", "method", "blendfiles", "folder"]);
    assert.ok(JOB_TYPE.settings.find((s) => s.key === "prompt").required);
});

test("one blender task per .blend file, running the job script headless", () => {
    const tasks = compile({
        prompt: "walk forward, then wave", backend: "tcp://farm-gpu:5757", method: "zomg",
        blendfiles: "/shots/a.blend\n/shots/b.blend;/shots/sub/c.blend",
        job_script: "/opt/venv/site-packages/moground/blender/job_script.py",
    });
    assert.equal(tasks.length, 3);
    const files = [];
    for (const t of tasks) {
        assert.equal(t.type, "blender");
        assert.equal(t.commands.length, 1);
        const { name, parameters: p } = t.commands[0];
        assert.equal(name, "blender-render");
        assert.equal(p.exe, "{blender}");
        assert.ok(p.argsBefore.includes("-b"), "runs in the background");
        files.push(p.blendfile);
        const a = p.args;
        assert.deepEqual(Array.from(a.slice(0, 5)), ["--python-exit-code", "1", "--python",
            "/opt/venv/site-packages/moground/blender/job_script.py", "--"]);
        const opt = (k) => a[a.indexOf(k) + 1];
        assert.equal(opt("--input"), p.blendfile, "the job script segments the opened file");
        assert.equal(opt("--prompt"), "walk forward, then wave");
        assert.equal(opt("--backend"), "tcp://farm-gpu:5757");
        assert.equal(opt("--method"), "zomg");
        assert.ok(!a.includes("--force") && !a.includes("--armature"));
    }
    assert.deepEqual(files, ["/shots/a.blend", "/shots/b.blend", "/shots/sub/c.blend"]);
    assert.equal(new Set(tasks.map((t) => t.name)).size, 3, "task names are unique");
});

test("relative names are resolved in the folder; options pass through", () => {
    const tasks = compile({
        prompt: "jump", backend: "tcp://h:1", folder: "/mocap/day1",
        blendfiles: "take1.blend;{jobs}/x/take1.blend", armature: "Hero", force: true,
    });
    assert.equal(tasks[0].commands[0].parameters.blendfile, "/mocap/day1/take1.blend");
    assert.equal(tasks[1].commands[0].parameters.blendfile, "{jobs}/x/take1.blend");
    assert.notEqual(tasks[0].name, tasks[1].name);
    const a = tasks[0].commands[0].parameters.args;
    assert.equal(a[a.indexOf("--armature") + 1], "Hero");
    assert.ok(a.includes("--force"));
});

test("bad settings are refused at compile time", () => {
    assert.throws(() => compile({ prompt: " ", backend: "tcp://h:1", blendfiles: "/a.blend" }), /prompt/);
    assert.throws(() => compile({ prompt: "x", backend: "tcp://h:1", blendfiles: " ; \n" }), /no \.blend/);
    assert.throws(() => compile({ prompt: "x", backend: "tcp://h:1", blendfiles: "/a.fbx" }), /not a \.blend/);
});
