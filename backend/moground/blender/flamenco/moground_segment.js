// SPDX-License-Identifier: MIT
//
// MoGround: Flamenco 3 job type "moground-segment" (the name comes from this
// file's name). Install by copying this file into the `scripts` folder next to
// the flamenco-manager executable. Each .blend file becomes one task of type
// "blender" that runs Blender headless on moground/blender/job_script.py,
// which segments the file's armature action with a MoGround backend and saves
// the file safely (temp file, re-open check, atomic replace, .blend1 backup).
// Submit jobs with `moground farm submit`.

const JOB_TYPE = {
    label: "MoGround Segment",
    description: "Cut each file's mocap action into named NLA strips from a text prompt",
    settings: [
        { key: "prompt", type: "string", required: true,
          description: "What happens in the takes, e.g. 'walk forward, then jump'" },
        { key: "backend", type: "string", required: true, default: "tcp://127.0.0.1:5757",
          description: "Address of a MoGround backend the workers can reach (moground serve)" },
        { key: "method", type: "string", default: "fused",
          description: "Grounding method" },
        { key: "blendfiles", type: "string", required: true,
          description: "The .blend files, one per line (or separated by ';'); relative ones are inside 'folder'" },
        { key: "folder", type: "string", subtype: "dir_path", default: "",
          description: "Folder holding the files (the submitter lists it into 'blendfiles')" },
        { key: "armature", type: "string", default: "",
          description: "Armature object to segment when a file has several" },
        { key: "force", type: "bool", default: false,
          description: "Redo files already segmented with the same prompt and method" },
        { key: "timeout", type: "int32", default: 300,
          description: "Seconds to wait for the backend per file" },
        { key: "job_script", type: "string", subtype: "file_path",
          default: "{moground}/blender/job_script.py", visible: "submission",
          description: "MoGround's job script as the workers see it ({moground}: a Manager variable, the installed moground package folder)" },
        { key: "blender_cmd", type: "string", default: "{blender}", visible: "hidden" },
        { key: "blender_args", type: "string", default: "{blenderArgs}", visible: "hidden" },
    ],
};

function compileJob(job) {
    const settings = job.settings;
    const prompt = String(settings.prompt || "").trim();
    if (!prompt) {
        throw "MoGround: the 'prompt' setting is empty";
    }
    if (!String(settings.backend || "").trim()) {
        throw "MoGround: the 'backend' setting is empty";
    }
    const files = blendFiles(settings);
    if (files.length == 0) {
        throw "MoGround: no .blend files in 'blendfiles'";
    }
    const seen = {};
    for (const file of files) {
        const name = uniqueTaskName(seen, path.basename(file));
        const task = author.Task(name, "blender");
        task.addCommand(author.Command("blender-render", {
            exe: settings.blender_cmd || "{blender}",
            exeArgs: settings.blender_args || "{blenderArgs}",
            argsBefore: ["-b"],
            blendfile: file,
            args: jobScriptArgs(settings, file, prompt),
        }));
        job.addTask(task);
    }
}

// The .blend paths of the job: one per line or ';'-separated, relative to 'folder'.
function blendFiles(settings) {
    const folder = String(settings.folder || "").trim();
    const out = [];
    for (const raw of String(settings.blendfiles || "").split(/[;\r\n]+/)) {
        const file = raw.trim();
        if (!file) continue;
        if (!file.toLowerCase().endsWith(".blend")) {
            throw `MoGround: not a .blend file: ${file}`;
        }
        out.push(isAbsolute(file) || !folder ? file : path.join(folder, file));
    }
    return out;
}

function isAbsolute(p) {
    // POSIX, Windows drive, UNC, or a Flamenco variable such as {jobs}/take.blend
    return p.startsWith("/") || p.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("{");
}

function uniqueTaskName(seen, base) {
    let name = `segment-${base}`;
    let n = seen[name] || 0;
    seen[name] = n + 1;
    return n ? `${name}-${n + 1}` : name;
}

// Arguments after the .blend file: run our job script, exit non-zero on a Python error.
function jobScriptArgs(settings, file, prompt) {
    const args = [
        "--python-exit-code", "1",
        "--python", settings.job_script,
        "--",
        "--input", file,
        "--prompt", prompt,
        "--method", settings.method || "fused",
        "--backend", settings.backend,
        "--timeout", String(settings.timeout || 300),
    ];
    if (settings.armature) {
        args.push("--armature", settings.armature);
    }
    if (settings.force) {
        args.push("--force");
    }
    return args;
}
