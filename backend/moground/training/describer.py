"""Kinematic describer: captions written from the motion itself.

The human captions of the data cover few of the words people use for motion (most
exercise and everyday words never occur). The describer reads a canonical window
(22 joints, metres, Y up, 20 fps) and says what the body does in plain words — which
limbs move, raised or lowered, bends, squats, twists, circles, jumps, steps, walks or
runs with speed and direction, turns, kicks, punches, waves, claps, sits, lies — so
that every window of all the motion carries text, and a prompt phrase expanded by the
lexicon (``moground.text.actions``) lands on primitives the encoder has learned.

Everything is measured in the body's own heading frame (x = the actor's left,
y = up, z = forward) and scaled by the actor's leg and arm length, so the same rules
work for the CMU figure, Bandai actors and Kinect skeletons. The rules are
deliberately conservative: a missed event costs little, a wrong word teaches a lie.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..preprocess import floor_height, heading_yaws, to_heading_frame
from ..skeleton import FOOT_JOINTS, JOINT_INDEX as J

FPS = 20.0
DESCRIBER_VERSION = 1

_SIDES = ("left", "right")


@dataclass
class Event:
    """One thing the body does: alternative wordings (verb phrase), when, how salient."""

    phrases: list[str]
    time: float  # 0..1 position in the window, for ordering
    salience: float
    tag: str  # short id, for tests and coverage


@dataclass
class Description:
    events: list[Event] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [e.tag for e in self.events]

    def captions(self, rng: np.random.Generator, n: int = 2, max_events: int = 3) -> list[str]:
        """``n`` distinct captions, events in temporal order, varied wording."""
        if not self.events:
            return []
        ranked = sorted(self.events, key=lambda e: -e.salience)
        out: list[str] = []
        for attempt in range(4 * n):
            k = min(len(ranked), max_events if attempt == 0 else int(rng.integers(1, max_events + 1)))
            chosen = ranked[:k] if attempt == 0 else [ranked[0]] + list(rng.permutation(ranked[1:]))[: k - 1]
            chosen = sorted(chosen, key=lambda e: e.time)
            verbs = [e.phrases[0] if attempt == 0 else e.phrases[int(rng.integers(len(e.phrases)))] for e in chosen]
            text = _SUBJECTS[0 if attempt == 0 else int(rng.integers(len(_SUBJECTS)))] + " " + _join(verbs, rng, attempt)
            if text not in out:
                out.append(text)
            if len(out) >= n:
                break
        return out


_SUBJECTS = ("a person", "someone", "the person", "a man", "a woman", "the actor", "a figure")
_JOINERS = (", then ", " and then ", " and ", ", ", ", after that ", " and afterwards ")


def _join(verbs: list[str], rng: np.random.Generator, attempt: int) -> str:
    if len(verbs) == 1:
        return verbs[0]
    text = verbs[0]
    for v in verbs[1:]:
        j = _JOINERS[0] if attempt == 0 else _JOINERS[int(rng.integers(len(_JOINERS)))]
        text += j + v
    return text


# -- geometry helpers ---------------------------------------------------------------
def _heading(pos: np.ndarray) -> np.ndarray:
    return np.unwrap(heading_yaws(pos))


def _runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Maximal runs of True of at least ``min_len`` frames, as [start, end)."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if b - a >= min_len]


def _smooth(x: np.ndarray, k: int = 3) -> np.ndarray:
    if len(x) < k:
        return x
    kernel = np.ones(k) / k
    pad = k // 2
    xp = np.pad(x, [(pad, pad)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    return np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="valid"), 0, xp)


def _reversals(v: np.ndarray, amp: float) -> int:
    """Direction changes of a 1-D trajectory whose swings exceed ``amp``."""
    count, last_ext, direction = 0, v[0], 0
    for x in v[1:]:  # short windows (≤ 200 frames): a scalar loop is cheap here
        if direction >= 0 and x < last_ext - amp:
            count += direction == 1
            direction, last_ext = -1, x
        elif direction <= 0 and x > last_ext + amp:
            count += direction == -1
            direction, last_ext = 1, x
        elif (direction == 1 and x > last_ext) or (direction == -1 and x < last_ext):
            last_ext = x
    return count


def _sweep(u: np.ndarray, v: np.ndarray, arm: float) -> float:
    """Net angle swept by a wrist around the shoulder in one plane, counting only
    frames where the wrist is well away from the shoulder (tracker noise near the
    centre would otherwise add whole turns)."""
    ang = np.arctan2(u, v)
    d = (np.diff(ang) + np.pi) % (2 * np.pi) - np.pi
    far = np.hypot(u, v)[1:] > 0.45 * arm
    d = np.where(far & (np.abs(d) < 1.2), d, 0.0)
    return float(abs(d.sum()))


def _count_word(n: int) -> str:
    return {1: "once", 2: "twice", 3: "three times", 4: "four times"}.get(n, "several times")


def _when(mask_or_idx: np.ndarray | int, T: int) -> float:
    if isinstance(mask_or_idx, (int, np.integer)):
        return float(mask_or_idx) / max(T - 1, 1)
    idx = np.flatnonzero(mask_or_idx)
    return float(idx[0]) / max(T - 1, 1) if len(idx) else 0.5


# -- the describer ------------------------------------------------------------------
# Thresholds of the body states that several event families read (lengths in leg
# lengths, angles in degrees); each family's own thresholds stay beside its words.
LYING_TILT_DEG = 60          # torso this far from vertical ...
LYING_NECK_LEGS = 0.55       # ... with the neck this low: lying
THIGH_FLAT = 0.55            # |thigh's vertical share| below this: thigh about horizontal
SITTING_TILT_DEG = 45
SITTING_PELVIS_LEGS = 0.8    # pelvis height / leg length below this (thighs flat): sitting
LOW_PELVIS_LEGS = 0.7        # crouched or squatting when the pelvis is this low
LOW_TILT_DEG = 60
RUN_MIN_SPEED = 1.6          # m/s: flight phases only count as running above it
FLIGHT_MAX_S = 0.9           # longer "flights" are not jumps or running strides


@dataclass
class _Body:
    """The window and the kinematics every event family reads, computed once."""

    pos: np.ndarray      # [T, 22, 3] canonical positions
    fps: float
    T: int
    dur: float           # seconds
    leg: float           # leg and arm length (m), floored at 0.4 and 0.3
    arm: float
    yaw: np.ndarray      # [T] unwrapped heading
    root: np.ndarray     # [T, 3] pelvis
    local: np.ndarray    # [T, 22, 3] pelvis-relative, heading frame
    vel: np.ndarray      # [T, 22, 3] world velocities (m/s)
    root_v: np.ndarray   # [T, 3] pelvis velocity, heading frame
    height: np.ndarray   # [T, 22] above the floor


@dataclass
class _Posture:
    pitch: np.ndarray    # [T] torso pitch (+ forward), degrees
    roll: np.ndarray     # [T] torso roll (+ toward the left), degrees
    tilt: np.ndarray     # [T] torso angle from vertical, degrees
    ratio: np.ndarray    # [T] pelvis height / leg length
    lying: np.ndarray    # [T] bool states
    sitting: np.ndarray
    low: np.ndarray
    upright: np.ndarray


@dataclass
class _Gait:
    speed_h: np.ndarray  # [T] horizontal root speed in the heading frame
    path: float          # metres travelled, and net displacement
    net: float
    v: float             # mean speed along the path (m/s)
    foot_h: np.ndarray   # [T, 2] ankle heights above their own low level
    lifts: list          # steps (foot lifts) per foot
    flight: np.ndarray   # [T] both feet off the floor, pelvis up
    flights: list        # short flight runs
    crawling: bool
    moving: bool


def describe(pos: np.ndarray, fps: float = FPS) -> Description:
    """Describe a canonical window ``[T, 22, 3]`` (T ≥ 8 frames at ``fps``): body states
    first (posture, gait), then one function per event family."""
    pos = np.asarray(pos, dtype=np.float64)
    if len(pos) < 8:
        return Description()
    b = _body(pos, fps)
    p = _posture(b)
    g = _gait(b, p)
    ev = [*_posture_events(b, p), *_locomotion_events(b, p, g), *_turn_events(b, g),
          *_jump_events(b, g), *_leg_events(b, p, g),
          *_arm_events(b.pos, b.local, b.vel, b.yaw, b.height, b.arm, b.T, b.fps, p.upright)]
    _fallback_events(b, g, ev)
    return Description(ev)


def _body(pos: np.ndarray, fps: float) -> _Body:
    T = len(pos)
    floor = floor_height(pos)
    leg = float(np.median(np.linalg.norm(pos[:, J["left_hip"]] - pos[:, J["left_knee"]], axis=-1)
                          + np.linalg.norm(pos[:, J["left_knee"]] - pos[:, J["left_ankle"]], axis=-1)))
    arm = float(np.median(np.linalg.norm(pos[:, J["left_shoulder"]] - pos[:, J["left_elbow"]], axis=-1)
                          + np.linalg.norm(pos[:, J["left_elbow"]] - pos[:, J["left_wrist"]], axis=-1)))
    leg, arm = max(leg, 0.4), max(arm, 0.3)
    yaw = _heading(pos)
    root = pos[:, J["pelvis"]]
    local = to_heading_frame(pos - root[:, None], yaw)  # pelvis-relative, heading frame
    vel = np.gradient(pos, axis=0) * fps
    root_v = to_heading_frame(vel[:, J["pelvis"]], yaw)
    height = pos[:, :, 1] - floor  # [T, 22] above the floor
    return _Body(pos, fps, T, T / fps, leg, arm, yaw, root, local, vel, root_v, height)


def _posture(b: _Body) -> _Posture:
    pos, local, height, leg, T = b.pos, b.local, b.height, b.leg, b.T
    torso = local[:, J["neck"]] - local[:, J["pelvis"]]
    tnorm = np.linalg.norm(torso, axis=-1) + 1e-6
    pitch = np.degrees(np.arctan2(torso[:, 2], torso[:, 1]))  # + forward
    roll = np.degrees(np.arctan2(torso[:, 0], torso[:, 1]))  # + toward the left
    tilt = np.degrees(np.arccos(np.clip(torso[:, 1] / tnorm, -1, 1)))
    ratio = height[:, J["pelvis"]] / leg
    lying = (tilt > LYING_TILT_DEG) & (height[:, J["neck"]] < LYING_NECK_LEGS * leg)
    thigh_flat = np.ones(T, dtype=bool)
    for s in _SIDES:
        th = pos[:, J[f"{s}_knee"]] - pos[:, J[f"{s}_hip"]]
        thigh_flat &= np.abs(th[:, 1]) / (np.linalg.norm(th, axis=-1) + 1e-6) < THIGH_FLAT
    sitting = thigh_flat & (tilt < SITTING_TILT_DEG) & (ratio < SITTING_PELVIS_LEGS) & ~lying
    low = (ratio < LOW_PELVIS_LEGS) & (tilt < LOW_TILT_DEG) & ~sitting & ~lying
    return _Posture(pitch, roll, tilt, ratio, lying, sitting, low, ~lying & ~sitting)


def _gait(b: _Body, p: _Posture) -> _Gait:
    height, leg, fps, root = b.height, b.leg, b.fps, b.root
    speed_h = np.linalg.norm(b.root_v[:, [0, 2]], axis=-1)
    horiz = root[:, [0, 2]]
    path = float(np.linalg.norm(np.diff(horiz, axis=0), axis=-1).sum())
    net = float(np.linalg.norm(horiz[-1] - horiz[0]))
    v = path / b.dur
    foot_h = np.stack([height[:, J["left_ankle"]], height[:, J["right_ankle"]]], 1)
    foot_h = foot_h - np.percentile(foot_h, 5, axis=0)
    lifts = [len(_runs(foot_h[:, i] > 0.06 * leg / 0.82, 2)) for i in range(2)]
    pel_up = height[:, J["pelvis"]] - np.median(height[:, J["pelvis"]]) > 0.04 * leg
    flight = (np.minimum.reduce([height[:, j] for j in FOOT_JOINTS]) > 0.08) & ~p.lying & pel_up
    flights = [r for r in _runs(flight, 2) if r[1] - r[0] <= FLIGHT_MAX_S * fps]
    up = foot_h > 0.05 * leg / 0.82
    single = (up[:, 0] ^ up[:, 1]).mean()
    crawling = p.lying.mean() < 0.9 and (p.tilt > 55).mean() > 0.5 and net > 0.5 and v > 0.2
    moving = (net > 0.6 or path > 1.0) and v > 0.3 and not p.lying.mean() > 0.5 and (single > 0.15 or len(flights) < 2)
    return _Gait(speed_h, path, net, v, foot_h, lifts, flight, flights, crawling, moving)


def _posture_events(b: _Body, p: _Posture) -> list[Event]:
    """Lying, sitting, squatting and crouching, bending, leaning, twisting."""
    T, leg, height, local = b.T, b.leg, b.height, b.local
    lying, sitting, low, upright = p.lying, p.sitting, p.low, p.upright
    pitch, roll, ratio = p.pitch, p.roll, p.ratio
    ev: list[Event] = []
    if lying.mean() > 0.25:
        if not lying[: T // 5].any() and lying[-T // 5 :].all():
            ev.append(Event(["lies down on the floor", "lies down on the ground", "gets down and lies on the floor"], _when(lying, T), 3.0, "lie_down"))
        elif lying[: T // 5].all() and not lying[-T // 5 :].any():
            ev.append(Event(["gets up from the floor", "stands up from lying on the ground", "rises from the ground"], _when(~lying, T), 3.0, "get_up"))
        else:
            ev.append(Event(["lies on the floor", "lies on the ground", "is lying down"], 0.0, 2.5, "lying"))
    if sitting.mean() > 0.2:
        if not sitting[: T // 5].any() and sitting[-T // 5 :].all():
            ev.append(Event(["sits down", "sits down on a chair", "lowers into a seat"], _when(sitting, T), 3.0, "sit_down"))
        elif sitting[: T // 5].all() and not sitting[-T // 5 :].any():
            ev.append(Event(["stands up", "stands up from a chair", "gets up from sitting"], _when(~sitting, T), 3.0, "stand_up"))
        elif sitting.mean() > 0.6:
            ev.append(Event(["sits", "is sitting", "sits still"], 0.0, 2.0, "sitting"))
    dips = _runs(low, 3)
    if dips and not lying.any():
        starts_low, ends_low = low[:3].all(), low[-3:].all()
        inner = [d for d in dips if d[0] > 0 and d[1] < T]
        if len(inner) >= 2:
            ev.append(Event([f"squats down and up {_count_word(len(inner))}", "does squats", "squats repeatedly", "bends the knees and squats several times"], _when(low, T), 3.0, "squats"))
        elif inner:
            ev.append(Event(["squats down and stands back up", "does a squat", "crouches down and rises again", "bends both knees deeply and straightens up"], _when(low, T), 3.0, "squat"))
        elif ends_low and not starts_low:
            ev.append(Event(["crouches down", "squats down", "lowers the body into a crouch"], _when(low, T), 2.5, "crouch_down"))
        elif starts_low and not ends_low:
            ev.append(Event(["rises from a crouch", "stands up from a squat", "straightens the legs and stands up"], _when(~low, T), 2.5, "rise"))
        elif low.mean() > 0.6:
            ev.append(Event(["stays crouched low", "crouches", "moves in a crouch"], 0.0, 2.0, "crouching"))

    bend = (pitch > 45) & upright & (ratio > 0.55)
    if _runs(bend, 3):
        reach_down = (np.minimum(height[:, J["left_wrist"]], height[:, J["right_wrist"]]) < 0.35 * leg) & bend
        if reach_down.any():
            ev.append(Event(["bends down and reaches to the floor", "bends over to touch the ground", "bends forward and reaches down", "picks something up from the floor"], _when(reach_down, T), 2.5, "bend_down"))
        else:
            ev.append(Event(["bends forward at the waist", "bends over", "leans the upper body forward"], _when(bend, T), 2.2, "bend_forward"))
    if _runs((pitch < -25) & upright, 6):
        ev.append(Event(["leans back", "bends backwards", "arches the back"], _when(pitch < -20, T), 2.0, "lean_back"))
    for s, sign in (("left", 1), ("right", -1)):
        if _runs((sign * roll > 25) & upright, 6):
            ev.append(Event([f"leans to the {s}", f"bends sideways to the {s}", f"tilts the upper body to the {s}"], _when(sign * roll > 20, T), 1.8, f"lean_{s}"))
    sh = local[:, J["left_shoulder"]] - local[:, J["right_shoulder"]]
    twist = np.degrees(np.arctan2(-sh[:, 2], sh[:, 0]))  # shoulders relative to the heading (hips + shoulders)
    if twist.max() - twist.min() > 35 and upright.mean() > 0.8:
        phr = ["twists the upper body", "rotates the torso", "twists the waist from side to side"] if (twist.max() > 12 and twist.min() < -12) else ["twists the upper body", "rotates the torso"]
        ev.append(Event(phr, _when(int(np.argmax(np.abs(twist))), T), 1.7, "twist"))
    return ev


def _locomotion_events(b: _Body, p: _Posture, g: _Gait) -> list[Event]:
    """Crawling, walking and running (speed, direction, curves), stepping in place."""
    yaw, root_v = b.yaw, b.root_v
    speed_h, v, flights, lifts, moving, crawling = g.speed_h, g.v, g.flights, g.lifts, g.moving, g.crawling
    upright = p.upright
    ev: list[Event] = []
    if crawling:
        ev.append(Event(["crawls forward on hands and knees", "crawls on the floor", "moves on all fours"], 0.1, 3.0, "crawl"))
    elif moving:
        mv = speed_h > 0.2
        d = root_v[mv].mean(axis=0) if mv.any() else root_v.mean(axis=0)
        ang = np.degrees(np.arctan2(d[0], d[2]))  # 0 forward, +90 left
        direction = ("forward" if abs(ang) < 35 else "backwards" if abs(ang) > 145 else
                     "sideways to the left" if ang > 0 else "sideways to the right")
        running = len(flights) >= 2 and len(flights) >= 0.25 * (sum(lifts) + 1) and v > RUN_MIN_SPEED
        if running or v > 2.6:
            gait = ["runs", "sprints"] if v > 3.6 else ["runs", "jogs"]
        elif v > 1.7:
            gait = ["jogs", "runs slowly"]
        elif v < 0.6:
            gait = ["walks slowly", "steps slowly", "shuffles"]
        else:
            gait = ["walks", "takes steps"]
        phr = [f"{g} {direction}" for g in gait]
        if direction == "forward":
            phr += [gait[0], f"{gait[0]} straight ahead"] if "walk" in gait[0] or "run" in gait[0] else [gait[0]]
        if direction.startswith("sideways"):
            side = direction.split()[-1]
            phr += [f"steps sideways to the {side}", f"side steps to the {side}"]
        if direction == "backwards":
            phr += ["walks backward", "moves backwards"] if "walk" in gait[0] else ["moves backwards"]
        dyaw = float(np.degrees(yaw[-1] - yaw[0]))
        if abs(dyaw) > 300:
            phr = [f"{gait[0]} in a circle", f"{gait[0]} around in a circle", f"{gait[0]} in a loop"]
        elif abs(dyaw) > 60 and direction == "forward":
            side = "left" if dyaw > 0 else "right"
            phr += [f"{gait[0]} and curves to the {side}", f"{gait[0]} along a curve to the {side}"]
        ev.append(Event(phr, 0.05, 3.5, "run" if "run" in gait[0] or "jog" in gait[0] else "walk"))
    else:
        if min(lifts) >= 2 and not flights and upright.mean() > 0.8:
            ev.append(Event(["steps in place", "marches in place", "walks on the spot"], 0.1, 2.0, "step_in_place"))
    return ev


def _turn_events(b: _Body, g: _Gait) -> list[Event]:
    """Whole-body turns and spins."""
    yaw, T, moving = b.yaw, b.T, g.moving
    ev: list[Event] = []
    dyaw = float(np.degrees(yaw[-1] - yaw[0]))
    span = float(np.degrees(yaw.max() - yaw.min()))
    if not moving or abs(dyaw) > 300:
        side = "left" if dyaw > 0 else "right"
        if abs(dyaw) > 300 and not moving:
            ev.append(Event(["spins around", "turns a full circle", f"spins around to the {side}", "pirouettes"], 0.3, 3.0, "spin"))
        elif abs(dyaw) > 140 and not moving:
            ev.append(Event(["turns around", f"turns around to the {side}", "turns to face the other way"], _when(int(np.argmax(np.abs(yaw - yaw[0]) > np.radians(90))), T), 2.8, "turn_around"))
        elif abs(dyaw) > 50:
            ev.append(Event([f"turns {side}", f"turns to the {side}", f"rotates the body to the {side}"], _when(int(np.argmax(np.abs(yaw - yaw[0]) > np.radians(30))), T), 2.6, f"turn_{side}"))
        elif span > 70:
            ev.append(Event(["turns one way and then back", "looks around turning the body", "turns back and forth"], 0.4, 1.5, "turn_back"))
    return ev


def _jump_events(b: _Body, g: _Gait) -> list[Event]:
    """Jumps and hops (not the flight phases of running)."""
    T, leg, root_v = b.T, b.leg, b.root_v
    flights, moving, lifts, v, foot_h = g.flights, g.moving, g.lifts, g.v, g.foot_h
    ev: list[Event] = []
    if flights and not (moving and (len(flights) >= 0.25 * (sum(lifts) + 1)) and v > RUN_MIN_SPEED):
        n = len(flights)
        one_leg = abs(float(np.median(foot_h[:, 0] - foot_h[:, 1]))) > 0.1 * leg
        hop_side = "right" if np.median(foot_h[:, 0] - foot_h[:, 1]) > 0 else "left"  # standing leg is the lower one
        disp = root_v.mean(axis=0)
        where = "forward" if disp[2] > 0.4 else "backwards" if disp[2] < -0.4 else "in place"
        if one_leg:
            phr = [f"hops on the {hop_side} foot", f"hops on the {hop_side} leg", "hops on one leg"]
        elif n >= 3:
            phr = ["jumps repeatedly", f"jumps up and down {_count_word(n)}", f"jumps {where} several times", "hops with both feet"]
        else:
            phr = [f"jumps {where}", f"jumps {_count_word(n)}", "jumps up", "leaps into the air" if n == 1 else "jumps up and down"]
        ev.append(Event(phr, _when(flights[0][0], T), 3.2, "hop" if one_leg else "jump"))
    return ev


def _leg_events(b: _Body, p: _Posture, g: _Gait) -> list[Event]:
    """Kicks, legs swung back, knee raises, jumping jacks' feet, lunges."""
    T, leg, local, vel, yaw, height = b.T, b.leg, b.local, b.vel, b.yaw, b.height
    upright, sitting, ratio = p.upright, p.sitting, p.ratio
    flight, flights, moving = g.flight, g.flights, g.moving
    ev: list[Event] = []
    for s in _SIDES:
        a = local[:, J[f"{s}_ankle"]]
        av = to_heading_frame(vel[:, J[f"{s}_ankle"]] - vel[:, J["pelvis"]], yaw)
        fwd_kick = (a[:, 2] > 0.55 * leg) & (height[:, J[f"{s}_ankle"]] > 0.3 * leg) & upright
        outward = a[:, 0] if s == "left" else -a[:, 0]
        side_kick = (outward > 0.6 * leg) & (height[:, J[f"{s}_ankle"]] > 0.3 * leg) & upright
        fast = np.linalg.norm(av, axis=-1) > 2.0
        if (fwd_kick & fast).any() and not sitting.any():
            ev.append(Event([f"kicks with the {s} leg", f"kicks forward with the {s} foot", f"does a {s} front kick", "kicks"], _when(fwd_kick, T), 3.0, f"kick_{s}"))
        elif (side_kick & fast).any() and not sitting.any():
            ev.append(Event([f"kicks to the side with the {s} leg", f"does a {s} side kick", "kicks sideways"], _when(side_kick, T), 3.0, f"kick_{s}"))
        elif _runs((a[:, 2] < -0.45 * leg) & (height[:, J[f"{s}_ankle"]] > 0.35 * leg) & upright & ~flight, 3):
            ev.append(Event([f"lifts the {s} leg backwards", f"raises the {s} leg behind the body", f"swings the {s} leg back"], _when(a[:, 2] < -0.45 * leg, T), 2.0, f"leg_back_{s}"))
        else:
            knee_up = (local[:, J[f"{s}_knee"], 1] > local[:, J[f"{s}_hip"], 1] - 0.08 * leg) & upright & ~flight & ~sitting
            if _runs(knee_up, 2):
                ev.append(Event([f"raises the {s} knee", f"lifts the {s} knee up high", f"brings the {s} knee up"], _when(knee_up, T), 2.0, f"knee_{s}"))
    if upright.mean() > 0.8 and not moving:
        stance = np.abs(local[:, J["left_ankle"], 0] - local[:, J["right_ankle"], 0])
        if stance.max() > 0.75 * leg and stance.min() < 0.45 * leg and flights:
            ev.append(Event(["jumps the feet apart and together", "spreads the legs while jumping"], _when(stance > 0.75 * leg, T), 2.2, "feet_apart"))
        lunge = (np.abs(local[:, J["left_ankle"], 2] - local[:, J["right_ankle"], 2]) > 0.9 * leg) & (ratio < 0.85)
        if _runs(lunge, 3):
            ev.append(Event(["lunges forward", "steps into a lunge", "does a lunge bending the front knee"], _when(lunge, T), 2.6, "lunge"))
    return ev


def _fallback_events(b: _Body, g: _Gait, ev: list[Event]) -> None:
    """What moves when nothing named fits; 'quickly'/'slowly' on stationary events."""
    vel, yaw, v = b.vel, b.yaw, g.v
    rel_speed = np.linalg.norm(to_heading_frame(vel - vel[:, J["pelvis"] : J["pelvis"] + 1], yaw), axis=-1)
    parts = {
        "left arm": rel_speed[:, [J["left_elbow"], J["left_wrist"]]].mean(),
        "right arm": rel_speed[:, [J["right_elbow"], J["right_wrist"]]].mean(),
        "left leg": rel_speed[:, [J["left_knee"], J["left_ankle"]]].mean(),
        "right leg": rel_speed[:, [J["right_knee"], J["right_ankle"]]].mean(),
        "head": rel_speed[:, J["head"]].mean(),
    }
    total = float(sum(parts.values()))
    if not ev:
        if total < 0.5 and v < 0.15:
            ev.append(Event(["stands still", "stands idle", "stands in place without moving", "waits standing"], 0.5, 1.0, "still"))
        else:
            best = max(parts, key=parts.get)
            both = "arms" if "arm" in best and min(parts["left arm"], parts["right arm"]) > 0.6 * parts[best] else \
                   "legs" if "leg" in best and min(parts["left leg"], parts["right leg"]) > 0.6 * parts[best] else None
            what = f"both {both}" if both else f"the {best}"
            ev.append(Event([f"moves {what}", f"moves {what} around", f"gestures with {what}"] if "arm" in what else [f"moves {what}", f"shifts {what}"], 0.5, 1.0, "move_part"))
    if ev and v < 0.3:
        if total > 4.0:
            for e in ev:
                e.phrases += [p + " quickly" for p in e.phrases[:1]]
        elif total < 0.8 and ev[0].tag != "still":
            for e in ev:
                e.phrases += [p + " slowly" for p in e.phrases[:1]]


def _arm_events(pos, local, vel, yaw, height, arm, T, fps, upright) -> list[Event]:
    ev: list[Event] = []
    head_y = local[:, J["head"], 1]
    raised_sides, side_ext, circ = {}, {}, {}
    for s in _SIDES:
        w, sh = local[:, J[f"{s}_wrist"]], local[:, J[f"{s}_shoulder"]]
        rel = w - sh
        raised = (w[:, 1] > head_y + 0.03) & upright
        raised_sides[s] = raised
        outward = rel[:, 0] if s == "left" else -rel[:, 0]
        side_ext[s] = (outward > 0.7 * arm) & (np.abs(rel[:, 1]) < 0.25 * arm)
        circ[s] = _sweep(rel[:, 1], rel[:, 2], arm) > 1.8 * np.pi or _sweep(rel[:, 1], outward, arm) > 1.8 * np.pi
    both_raised = raised_sides["left"] & raised_sides["right"]
    if circ["left"] and circ["right"]:
        ev.append(Event(["circles both arms", "swings the arms in circles", "rotates both arms in big circles", "does arm circles"], 0.3, 3.0, "arm_circles"))
    else:
        for s in _SIDES:
            if circ[s]:
                ev.append(Event([f"circles the {s} arm", f"swings the {s} arm in a circle", f"rotates the {s} arm around the shoulder"], 0.3, 2.8, f"arm_circle_{s}"))
    if _runs(both_raised, 3):
        lowered = both_raised[: T // 2].any() and not both_raised[-max(T // 6, 2):].any()
        phr = ["raises both arms above the head", "lifts both hands up high", "puts both arms up in the air"]
        if lowered:
            phr = ["raises both arms and lowers them again", "lifts both arms over the head and brings them down"] + phr
        ev.append(Event(phr, _when(both_raised, T), 2.6, "raise_both"))
    for s in _SIDES:
        w = local[:, J[f"{s}_wrist"]]
        wv = to_heading_frame(vel[:, J[f"{s}_wrist"]] - vel[:, J[f"{s}_shoulder"]], yaw)
        rel = w - local[:, J[f"{s}_shoulder"]]
        above_sh = (rel[:, 1] > 0.0) & upright
        waving = False
        if above_sh.mean() > 0.3 and not circ[s]:
            lat = _smooth(w[above_sh, 0], 3)
            if len(lat) > 6 and _reversals(lat, 0.07) >= 3:
                waving = True
                ev.append(Event([f"waves the {s} hand", f"waves with the {s} arm", f"waves {s} hand hello", "waves a hand"], _when(above_sh, T), 2.7, f"wave_{s}"))
        raised = raised_sides[s] & ~both_raised
        if _runs(raised, 3) and not waving and not circ[s]:
            lowered = raised[: T // 2].any() and not raised[-max(T // 6, 2):].any()
            phr = [f"raises the {s} arm above the head", f"lifts the {s} hand up", f"puts the {s} hand up"]
            if lowered:
                phr = [f"raises the {s} arm and lowers it", f"lifts the {s} hand and brings it down again"] + phr
            ev.append(Event(phr, _when(raised, T), 2.4, f"raise_{s}"))
        ext = np.linalg.norm(rel, axis=-1)
        fwd_speed = _smooth(wv[:, 2], 3)
        at_chest = (rel[:, 1] > -0.35 * arm) & (rel[:, 1] < 0.3 * arm)
        punch = (fwd_speed > 2.2) & at_chest & np.roll(ext > 0.8 * arm, -1) & upright
        start_high = (rel[:, 1] > 0.15 * arm) & (rel[:, 2] < 0.2 * arm)
        n_p = len(_runs(punch, 1))
        if n_p and not waving:
            if n_p >= 2:
                ev.append(Event([f"punches {_count_word(n_p)} with the {s} fist", f"throws punches with the {s} hand", "punches repeatedly", "boxes"], _when(punch, T), 2.9, f"punch_{s}"))
            else:
                ev.append(Event([f"punches forward with the {s} fist", f"throws a {s} punch", f"jabs with the {s} hand"], _when(punch, T), 2.9, f"punch_{s}"))
        elif (fwd_speed > 3.0).any() and start_high[: max(int(np.argmax(fwd_speed)), 1)].any() and (rel[:, 1] > 0).any():
            ev.append(Event([f"throws something overhand with the {s} arm", f"throws with the {s} hand", "makes a throwing motion"], _when(int(np.argmax(fwd_speed)), T), 2.6, f"throw_{s}"))
        reach = (rel[:, 2] > 0.75 * arm) & (np.abs(rel[:, 1]) < 0.35 * arm) & upright
        if _runs(reach, 4) and not n_p and not waving:
            ev.append(Event([f"reaches forward with the {s} hand", f"stretches the {s} arm out in front", f"extends the {s} arm forward"], _when(reach, T), 1.8, f"reach_{s}"))
    if _runs(side_ext["left"] & side_ext["right"], 4):
        ev.append(Event(["stretches both arms out to the sides", "holds the arms out sideways", "spreads the arms wide like a T"], _when(side_ext["left"] & side_ext["right"], T), 2.2, "arms_out"))
    gap = np.linalg.norm(pos[:, J["left_wrist"]] - pos[:, J["right_wrist"]], axis=-1)
    front = (local[:, J["left_wrist"], 2] > 0.05) & (local[:, J["right_wrist"], 2] > 0.05)
    claps = _runs((gap < 0.12) & front, 1)
    opened = [gap[a:b].max() for (_, a), (b, _) in zip(claps[:-1], claps[1:]) if b > a]
    if len(claps) >= 2 and opened and min(opened) > 0.25:
        ev.append(Event(["claps the hands", "claps", f"claps {_count_word(len(claps))}", "brings the hands together repeatedly"], _when((gap < 0.12) & front, T), 2.7, "clap"))
    return ev
