"""Built-in lexicon: common action names → plain body-part descriptions.

An encoder trained on a few thousand captions has never read "burpee" or "jumping
jack", but it has learned "jumps", "raises both arms above the head", "squats down".
Expanding a prompt phrase into such descriptions lets an unseen action name land on
learned primitives; the engine averages the embeddings of ``expand_phrase(p)``.
The same expansions are used as extra captions in training, in the describer's words.
Entries are written here from common knowledge of the movements.
"""

from __future__ import annotations

import re
from functools import lru_cache

# name (singular, lower case; matched on word boundaries, simple inflections allowed)
# → descriptions in the words the describer uses.
LEXICON: dict[str, list[str]] = {
    # exercises
    "jumping jack": ["jumps the feet apart and together while raising both arms above the head", "jumps and spreads the legs while lifting the arms up and down"],
    "star jump": ["jumps up spreading the arms and legs wide", "jumps with arms and legs out to the sides"],
    "squat": ["squats down and stands back up", "bends both knees deeply and straightens up"],
    "lunge": ["lunges forward", "steps forward and bends the front knee deeply"],
    "burpee": ["squats down, puts the hands on the floor, jumps back up", "drops to the floor and jumps up with arms raised"],
    "push up": ["lies face down and pushes the body up with the arms", "does push ups on the floor"],
    "pushup": ["lies face down and pushes the body up with the arms"],
    "sit up": ["lies on the back and raises the upper body", "does sit ups on the floor"],
    "situp": ["lies on the back and raises the upper body"],
    "crunch": ["lies on the back and curls the upper body up"],
    "plank": ["holds the body straight on the forearms near the floor"],
    "arm circle": ["circles both arms", "rotates the arms in circles at the sides"],
    "toe touch": ["bends forward and reaches down to touch the toes"],
    "high knee": ["runs in place raising the knees up high", "raises the left knee and the right knee alternately"],
    "butt kick": ["jogs in place kicking the heels back"],
    "calf raise": ["rises up on the toes and lowers down"],
    "leg raise": ["lifts one leg up", "raises a straight leg"],
    "leg swing": ["swings one leg forward and back"],
    "side bend": ["leans to the left and to the right", "bends sideways at the waist"],
    "trunk twist": ["twists the upper body from side to side"],
    "torso twist": ["twists the upper body from side to side"],
    "hip circle": ["rotates the hips in a circle"],
    "stretch": ["stretches the arms and body", "reaches the arms out and stretches"],
    "warm up": ["moves the arms and legs to warm up", "stretches and swings the arms"],
    "yoga": ["holds a stretched pose", "bends and stretches slowly"],
    "tai chi": ["moves the arms slowly in smooth circles while shifting weight"],
    "pull up": ["hangs from a bar and pulls the body up with the arms"],
    "chin up": ["hangs from a bar and pulls the body up"],
    "deadlift": ["bends down and lifts a weight from the floor to standing"],
    "bicep curl": ["bends the elbows to lift the hands toward the shoulders"],
    "curl": ["bends the elbow lifting the hand toward the shoulder"],
    "shoulder press": ["pushes both hands up above the head"],
    "bench press": ["lies on the back and pushes the arms up"],
    "mountain climber": ["in a push up position brings the knees to the chest alternately"],
    "skip rope": ["jumps repeatedly in place turning the hands in small circles"],
    "jump rope": ["jumps repeatedly in place turning the hands in small circles"],
    "jog in place": ["jogs in place", "runs on the spot"],
    "march": ["marches in place raising the knees", "walks with high steps swinging the arms"],
    "stretching": ["stretches the arms and legs"],
    "balance": ["stands on one leg and keeps balance", "holds still on one foot with arms out"],
    "hop": ["hops on one foot", "jumps up and down on one leg"],
    "hopscotch": ["hops on one foot and then on both feet forward"],
    "skip": ["skips forward hopping from one foot to the other"],
    "leap": ["leaps forward into the air", "takes a long jump forward"],
    "long jump": ["runs and jumps forward as far as possible"],
    "high jump": ["jumps up as high as possible"],
    "jump": ["jumps up", "jumps into the air"],
    "bounce": ["bounces up and down on the feet"],
    # locomotion
    "walk": ["walks forward", "takes steps"],
    "stroll": ["walks slowly"],
    "stride": ["walks forward with long steps"],
    "run": ["runs forward", "runs"],
    "jog": ["jogs forward", "runs slowly"],
    "sprint": ["runs forward very fast", "sprints"],
    "dash": ["runs forward fast"],
    "sneak": ["walks slowly and carefully crouched", "tiptoes forward"],
    "tiptoe": ["walks slowly on the toes"],
    "limp": ["walks unevenly favouring one leg"],
    "stumble": ["trips and loses balance while walking"],
    "trip": ["stumbles forward and catches balance"],
    "fall": ["falls down to the ground"],
    "fall down": ["falls down to the ground"],
    "shuffle": ["walks slowly with small steps"],
    "side step": ["steps sideways to the left", "steps sideways to the right"],
    "sidestep": ["steps sideways"],
    "strafe": ["steps sideways"],
    "walk backward": ["walks backwards"],
    "back up": ["walks backwards"],
    "step back": ["steps backwards"],
    "step forward": ["steps forward"],
    "pace": ["walks back and forth"],
    "wander": ["walks around slowly"],
    "zombie": ["walks slowly and stiffly with arms stretched out in front"],
    "crawl": ["crawls forward on hands and knees", "moves on all fours"],
    "climb": ["climbs up using hands and feet", "steps up raising the knees high and reaching up"],
    "climb stairs": ["walks up steps raising the knees"],
    "go up stairs": ["walks up steps raising the knees"],
    "go down stairs": ["walks down steps"],
    "swim": ["moves the arms in big circles as if swimming"],
    "skate": ["glides forward pushing the legs out to the sides"],
    "ski": ["bends the knees and shifts from side to side"],
    "turn": ["turns around", "turns the body"],
    "turn around": ["turns around to face the other way"],
    "turn left": ["turns to the left"],
    "turn right": ["turns to the right"],
    "spin": ["spins around", "turns a full circle"],
    "pivot": ["turns on one foot"],
    "pirouette": ["spins around on one foot"],
    "circle": ["walks in a circle"],
    # postures, transitions
    "stand": ["stands still", "stands in place"],
    "stand up": ["stands up from sitting", "rises to standing"],
    "get up": ["gets up from the floor", "stands up"],
    "sit": ["sits down", "is sitting"],
    "sit down": ["sits down on a chair", "lowers into a seat"],
    "crouch": ["crouches down", "squats low"],
    "duck": ["ducks down quickly bending the knees", "crouches down fast"],
    "bend": ["bends forward at the waist"],
    "bend over": ["bends forward at the waist"],
    "lean": ["leans the upper body"],
    "lie": ["lies down on the floor", "lies on the ground"],
    "lie down": ["lies down on the floor"],
    "roll": ["rolls over on the ground"],
    "idle": ["stands still", "stands idle shifting weight"],
    "wait": ["stands still waiting"],
    "rest": ["stands or sits still resting"],
    "pose": ["holds a pose with the arms out"],
    "t pose": ["stands with both arms stretched out to the sides"],
    "tpose": ["stands with both arms stretched out to the sides"],
    "a pose": ["stands with the arms slightly away from the body"],
    "transition": ["changes from one pose to another"],
    # arms and gestures
    "wave": ["waves a hand", "raises a hand and waves it side to side"],
    "wave hello": ["raises a hand and waves it side to side"],
    "bye": ["waves a hand goodbye"],
    "goodbye": ["waves a hand goodbye"],
    "clap": ["claps the hands", "brings the hands together repeatedly"],
    "applaud": ["claps the hands repeatedly"],
    "bow": ["bends forward at the waist and straightens up", "takes a bow bending the upper body"],
    "nod": ["nods the head up and down"],
    "shake head": ["shakes the head from side to side"],
    "shrug": ["raises the shoulders and lowers them"],
    "point": ["points forward with one arm", "extends an arm and points"],
    "salute": ["raises a hand to the forehead"],
    "beckon": ["waves a hand toward the body to call someone"],
    "call": ["raises a hand to call someone"],
    "cheer": ["raises both arms above the head and jumps"],
    "celebrate": ["raises both arms above the head in joy"],
    "raise hand": ["raises one arm above the head"],
    "raise arms": ["raises both arms above the head"],
    "hands up": ["raises both arms above the head"],
    "reach": ["reaches forward with a hand", "stretches an arm out"],
    "grab": ["reaches out and grabs something with a hand"],
    "pick up": ["bends down and picks something up from the floor"],
    "put down": ["bends down and puts something on the floor"],
    "place": ["puts something down with the hand"],
    "carry": ["walks holding something in front with both hands"],
    "lift": ["lifts something up with both arms"],
    "push": ["pushes forward with both hands", "extends the arms forward pushing"],
    "pull": ["pulls something toward the body with the arms"],
    "throw": ["throws something with one arm", "swings an arm forward and throws"],
    "catch": ["catches something with the hands in front"],
    "toss": ["throws something lightly with one hand"],
    "hand over": ["reaches forward and hands something over"],
    "drink": ["lifts a hand to the mouth as if drinking"],
    "eat": ["brings a hand to the mouth repeatedly"],
    "phone": ["holds a hand to the ear"],
    "answer phone": ["lifts a hand to the ear"],
    "scratch head": ["raises a hand to scratch the head"],
    "comb hair": ["raises a hand to the head and moves it"],
    "wipe": ["moves a hand back and forth as if wiping"],
    "wash": ["rubs the hands and arms as if washing"],
    "brush teeth": ["moves a hand back and forth in front of the mouth"],
    "check watch": ["raises the wrist and looks at it"],
    "look around": ["turns the head and body to look around"],
    "look": ["turns the head to look"],
    "stretch arms": ["stretches both arms above the head"],
    "fold arms": ["crosses the arms in front of the chest"],
    "cross arms": ["crosses the arms in front of the chest"],
    "hands on hips": ["puts both hands on the hips"],
    "flap": ["flaps both arms up and down like wings"],
    "fly": ["stretches the arms out to the sides and flaps them"],
    "conduct": ["moves one arm up and down in front of the body"],
    "hammer": ["swings one arm down repeatedly as if hammering"],
    "saw": ["moves one arm back and forth as if sawing"],
    "dig": ["bends and pushes the arms down and up as if digging"],
    "sweep": ["swings both arms low from side to side"],
    "paint": ["moves one hand up and down in front of the body"],
    "draw": ["draws a shape in the air with one hand"],
    "write": ["moves one hand in small motions in front of the body"],
    "type": ["moves the fingers and hands in front of the body"],
    "play guitar": ["strums with one hand in front of the hip"],
    "play drums": ["beats both arms up and down in front of the body"],
    "play violin": ["moves one arm back and forth near the shoulder"],
    "drum": ["beats both arms up and down in front of the body"],
    "row": ["pulls both arms back toward the chest repeatedly"],
    "steer": ["turns both hands in front of the body as if steering"],
    "drive": ["holds both hands in front and turns them"],
    # fighting and sports
    "punch": ["punches forward with a fist", "throws a punch"],
    "jab": ["punches forward quickly"],
    "hook": ["swings a fist around from the side"],
    "uppercut": ["punches upward with a fist"],
    "box": ["throws punches with both fists", "boxes"],
    "boxing": ["throws punches with both fists", "boxes"],
    "fight": ["punches and kicks"],
    "martial art": ["punches and kicks in a fighting stance"],
    "karate": ["punches and kicks in a fighting stance"],
    "kung fu": ["punches and kicks in a fighting stance"],
    "block": ["raises the forearms in front of the face to block"],
    "dodge": ["moves quickly sideways to dodge", "ducks and leans away"],
    "evade": ["moves quickly sideways to dodge"],
    "kick": ["kicks forward with one leg", "kicks"],
    "side kick": ["kicks to the side with one leg"],
    "roundhouse": ["spins and kicks to the side"],
    "stomp": ["lifts a foot and stomps it down hard"],
    "slash": ["swings one arm diagonally across the body"],
    "stab": ["thrusts one hand forward"],
    "sword": ["swings one arm as if holding a sword"],
    "swordplay": ["swings the arms and steps as if fencing with a sword"],
    "fence": ["lunges forward extending one arm"],
    "shoot": ["holds one arm out forward and points"],
    "aim": ["holds the arms out forward and points"],
    "golf": ["swings both arms across the body as if swinging a golf club"],
    "golf swing": ["swings both arms across the body"],
    "tennis": ["swings one arm across the body as if hitting a ball"],
    "serve": ["raises an arm high and swings it down forward"],
    "bat": ["swings both arms across the body as if batting"],
    "baseball": ["swings both arms across the body as if batting"],
    "pitch": ["throws overhand with one arm stepping forward"],
    "basketball": ["bounces and throws a ball with the hands"],
    "dribble": ["bounces a ball with one hand"],
    "shoot basketball": ["jumps and throws upward with both hands"],
    "soccer": ["kicks a ball with one foot"],
    "volleyball": ["swings the arms up to hit a ball"],
    "bowling": ["steps forward and swings one arm low forward"],
    "archery": ["holds one arm out and pulls the other back"],
    "cartwheel": ["turns sideways over the hands with the legs in the air"],
    "handstand": ["stands upside down on the hands"],
    "somersault": ["rolls forward over the head"],
    "flip": ["jumps and turns over in the air"],
    "backflip": ["jumps and flips backwards in the air"],
    "dance": ["dances moving the arms and legs to a rhythm", "steps and sways with the arms moving"],
    "ballet": ["dances gracefully on the toes with arms raised"],
    "salsa": ["dances stepping the feet and swaying the hips"],
    "waltz": ["dances turning in circles with small steps"],
    "sway": ["sways the body from side to side"],
    "shake": ["shakes the body or arms quickly"],
    "wiggle": ["moves the hips from side to side"],
    "stretch leg": ["stretches one leg out"],
    # annotation categories people use for mocap segments
    "raising body part": ["raises an arm or a leg", "lifts a limb up"],
    "lowering body part": ["lowers an arm or a leg", "brings a limb down"],
    "body part": ["moves an arm or a leg"],
    "interact": ["handles an object with the hands in front of the body", "reaches out and moves something with the hands"],
    "use object": ["handles an object with the hands in front of the body"],
    "touch object": ["reaches out and touches something with a hand"],
    "grasp": ["reaches out and grabs something with a hand", "closes a hand around something"],
    "touch": ["reaches out and touches something with a hand"],
    "touching body part": ["touches the body with a hand"],
    "grab body part": ["holds a hand against the body"],
    "crossing limb": ["crosses the arms or the legs", "crosses the arms in front of the chest"],
    "cross": ["crosses the arms in front of the chest"],
    "limb": ["moves the arms and legs"],
    "incline": ["walks up or down a slope", "walks uphill leaning forward"],
    "exercise": ["does exercises moving the arms and legs", "exercises bending and stretching"],
    "training": ["does exercises moving the arms and legs"],
    "sport": ["makes a sports movement swinging the arms", "moves quickly as in a sport"],
    "misc": ["moves the body"],
    "activity": ["moves the arms and the body"],
    "action": ["moves the arms and the body"],
    "behavior": ["moves the body"],
    "original position": ["returns to the starting pose", "moves back to where it started"],
    "telephone": ["holds a hand to the ear as if on the phone"],
    "greet": ["waves a hand to greet someone", "raises a hand and nods"],
    "support": ["leans on something with the hands", "holds on with the hands for balance"],
    "kneel": ["goes down onto one knee", "lowers the body onto the knees"],
    "stance": ["stands with the feet apart in a ready pose"],
    "scratch": ["rubs a hand against the head or body"],
    "rub": ["moves a hand back and forth against the body"],
    "tap": ["taps lightly with a hand or a foot"],
    "knock": ["knocks with a fist on something in front"],
    "hit": ["strikes forward with a hand"],
    "strike": ["strikes forward with a hand"],
    "adjust": ["moves the hands to adjust something on the body"],
    "protect": ["raises the arms in front of the face to protect it"],
    "injur": ["moves carefully holding a hand on the body as if hurt"],
    "rope": ["pulls with both hands one over the other as if on a rope"],
    "press": ["pushes a hand forward against something"],
    "slide": ["slides the feet along the floor"],
    "stagger": ["walks unsteadily and sways"],
    "hug": ["wraps both arms around in front of the chest"],
    "pray": ["puts the hands together in front of the chest"],
    "cry": ["covers the face with the hands and bends the head"],
    "listen": ["stands still and tilts the head"],
    "mime": ["moves the hands as if touching an invisible wall"],
    "give": ["reaches forward and hands something over"],
    "charge": ["runs forward fast"],
    "headstand": ["stands upside down on the head and hands"],
    "shiver": ["shakes the body quickly with the arms close"],
    "cut": ["moves a hand back and forth as if cutting"],
    "ride": ["sits and bounces as if riding"],
    "prepare": ["gets ready in a ready pose"],
    "fidget": ["shifts the weight and moves the hands restlessly"],
    "curtsy": ["bends the knees with one foot behind and bows slightly"],
    "cough": ["bends forward slightly and brings a hand to the mouth"],
    "sneeze": ["jerks the head forward and brings a hand to the face"],
    "hurry": ["walks quickly"],
    "bump": ["bumps into something and steps back"],
    "tie": ["bends down and moves the hands near the feet"],
    "flail": ["waves the arms wildly"],
    "swipe": ["sweeps a hand quickly sideways"],
    "pat": ["taps lightly with a flat hand"],
    "dip": ["bends the knees and lowers the body briefly"],
    "juggle": ["moves both hands up and down quickly in front"],
    "zip": ["moves a hand up the front of the body"],
    "wobble": ["sways unsteadily from side to side"],
    "instrument": ["moves the hands in front of the body as if playing music"],
    "communicate": ["gestures with the hands while standing"],
    "gesture": ["moves the hands and arms to gesture"],
    "remove": ["reaches and takes something away with a hand"],
    "release": ["lets go by opening the hands"],
    "check": ["looks down at a hand held in front"],
    "hair": ["raises a hand to the head and moves it"],
    "wrist": ["turns the wrist and moves the hand"],
    "sudden": ["moves suddenly and quickly"],
    "inward": ["turns the feet or hands inward"],
    "vocalise": ["opens the mouth and moves the head slightly"],
    # emotions, styles (as body language)
    "angry": ["moves sharply and forcefully"],
    "happy": ["moves with bouncy light steps"],
    "sad": ["moves slowly with the head down"],
    "tired": ["moves slowly with the shoulders slumped"],
    "drunk": ["walks unsteadily swaying from side to side"],
    "old": ["walks slowly bent over"],
    "proud": ["walks upright with the chest out"],
    "scared": ["flinches and steps back raising the arms"],
    "surprised": ["jumps back slightly raising the hands"],
    "confident": ["walks upright with long steps"],
}

_WORD = re.compile(r"[a-z]+")


def _stem(word: str) -> str:
    """Tiny stemmer: enough to match 'jumping', 'jumps', 'lunges', 'squatted'."""
    for suf, rep in (("ies", "y"), ("ing", ""), ("es", ""), ("ed", ""), ("s", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)] + rep
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":  # running → runn → run
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _WORD.findall(text.lower()))


@lru_cache(maxsize=1)
def _index() -> list[tuple[tuple[str, ...], str]]:
    """Lexicon keys as stem tuples, longest first (so 'jumping jack' beats 'jump')."""
    return sorted(((_stems(k), k) for k in LEXICON), key=lambda kv: -len(kv[0]))


def match_entries(phrase: str) -> list[str]:
    """Lexicon keys found in ``phrase``, longest match first, no overlaps."""
    words = list(_stems(phrase))
    used = [False] * len(words)
    found: list[str] = []
    for key_stems, key in _index():
        n = len(key_stems)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == key_stems and not any(used[i : i + n]):
                found.append(key)
                for j in range(i, i + n):
                    used[j] = True
                break
    return found


def expand_phrase(phrase: str, max_items: int = 4) -> list[str]:
    """The phrase itself, then body-part descriptions of the actions it names.

    ``expand_phrase("do jumping jacks")`` → ``["do jumping jacks", "a person jumps the
    feet apart and together while raising both arms ..."]``. Unknown phrases come back
    alone, so averaging the embeddings of the list is always safe.
    """
    phrase = phrase.strip()
    out = [phrase]
    for key in match_entries(phrase):
        for desc in LEXICON[key]:
            text = f"a person {desc}"
            if text not in out:
                out.append(text)
    return out[: max(1, max_items)]
