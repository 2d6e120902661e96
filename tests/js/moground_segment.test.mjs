// Runs backend/moground/blender/flamenco/moground_segment.js the way Flamenco Manager does: as a
// plain script with global `author`, `path` and `print`, then calls compileJob.
// The stand-in `author` records tasks and commands like Flamenco's job author.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nodePath from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const here = nodePath.dirname(fileURLToPath(import.meta.url));
const SCRIPT = nodePath.join(here, "..", "..", "backend", "moground", "blender", "flamenco", "moground_segment.js");
const SETTING_TYPES = new Set(["string", "int32", "float", "bool"]);
const SUBTYPES = new Set(["file_path", "dir_path", "file_name", "hashed_file_path"]);
const VISIBILITY = new Set(["visible", "hidden", "submission", "web"]);

function load() {
    const printed = [];
    const author = {
        Task(name, type) {
            assert.equal(typeof name, "string");
            assert.equal(typeof type, "string");
            return {
                name, type, commands: [], deps: [],
                addCommand(cmd) { this.commands.push(cmd); },
                addDependency(t) { this.deps.push(t); },
            };
        },
        Command(name, parameters) { return { name, parameters }; },
    };
    const path = {
        join: (...p) => nodePath.posix.join(...p),
        basename: (p) => nodePath.posix.basename(p),
        dirname: (p) => nodePath.posix.dirname(p),
        stem: (p) => nodePath.posix.parse(p).name,
    };
    const ctx = vm.createContext({ author, path, print: (...a) => printed.push(a.join(" ")) });
    vm.runInContext(readFileSync(SCRIPT, "utf8") + "\n;globalThis.__api = { JOB_TYPE, compileJob };", ctx);
    return { ...ctx.__api, printed };
}

function defaults(jobType) {
    const s = {};
    for (const setting of jobType.settings) {
        if ("default" in setting) s[setting.key] = setting.default;
    }
    return s;
}

function compile(settings) {
    const { JOB_TYPE, compileJob } = load();
    const tasks = [];
    const job = { name: "test", settings: { ...defaults(JOB_TYPE), ...settings },
                  created: new Date(), addTask: (t) => tasks.push(t) };
    compileJob(job);
    return tasks;
}

test("JOB_TYPE settings follow Flamenco's AvailableJobSetting schema", () => {
    const { JOB_TYPE } = load();
    assert.equal(typeof JOB_TYPE.label, "string");
    const keys = JOB_TYPE.settings.map((s) => s.key);
    assert.equal(new Set(keys).size, keys.length, "setting keys are unique");
    for (const s of JOB_TYPE.settings) {
        assert.ok(SETTING_TYPES.has(s.type), `${s.key}: type ${s.type}`);
        if (s.subtype !== undefined) assert.ok(SUBTYPES.has(s.subtype), `${s.key}: subtype`);
        if (s.visible !== undefined) assert.ok(VISIBILITY.has(s.visible), `${s.key}: visible`);
        if (s.default !== undefined && s.type === "string") assert.equal(typeof s.default, "string");
        if (s.default !== undefined && s.type === "bool") assert.equal(typeof s.default, "boolean");
        if (s.default !== undefined && s.type === "int32") assert.ok(Number.isInteger(s.default));
    }
    for (const key of ["prompt", "backend", "method", "blendfiles", "folder"]) {
        assert.ok(keys.includes(key), `has a '${key}' setting`);
    }
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
