"""``tmr``: bring-your-own TMR (Petrovich et al., ICCV 2023) checkpoint as an encoder.

``model`` rebuilds the ACTOR-style encoders with the checkpoint's parameter names,
``guoh3dfeats`` computes HumanML3D's 263-dim features from the canonical joints,
``text`` runs a local DistilBERT, ``checkpoint`` finds and strictly loads the files and
``encoder`` puts them behind the MotionTextEncoder interface.
"""

from .encoder import TMREncoder, load_tmr

__all__ = ["TMREncoder", "load_tmr"]
