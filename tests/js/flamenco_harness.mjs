// Runs a Flamenco job compiler script (backend/moground/blender/flamenco/*.js) the way
// Flamenco Manager does: as a plain script with global `author`, `path` and `print`,
// then calls compileJob. The stand-in `author` records tasks and commands like
// Flamenco's job author. Shared by the job types' tests.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nodePath from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const here = nodePath.dirname(fileURLToPath(import.meta.url));
export const FLAMENCO_DIR = nodePath.join(here, "..", "..", "backend", "moground", "blender", "flamenco");
const SETTING_TYPES = new Set(["string", "int32", "float", "bool"]);
const SUBTYPES = new Set(["file_path", "dir_path", "file_name", "hashed_file_path"]);
const VISIBILITY = new Set(["visible", "hidden", "submission", "web"]);

export function load(scriptName) {
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
    const source = readFileSync(nodePath.join(FLAMENCO_DIR, scriptName), "utf8");
    vm.runInContext(source + "\n;globalThis.__api = { JOB_TYPE, compileJob };", ctx);
    return { ...ctx.__api, printed };
}

function defaults(jobType) {
    const s = {};
    for (const setting of jobType.settings) {
        if ("default" in setting) s[setting.key] = setting.default;
    }
    return s;
}

export function compile(scriptName, settings) {
    const { JOB_TYPE, compileJob } = load(scriptName);
    const tasks = [];
    const job = { name: "test", settings: { ...defaults(JOB_TYPE), ...settings },
                  created: new Date(), addTask: (t) => tasks.push(t) };
    compileJob(job);
    return tasks;
}

// JOB_TYPE follows Flamenco's AvailableJobSetting schema and has the keys given.
export function checkJobType(scriptName, requiredKeys) {
    const { JOB_TYPE } = load(scriptName);
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
    for (const key of requiredKeys) {
        assert.ok(keys.includes(key), `has a '${key}' setting`);
    }
    return JOB_TYPE;
}
