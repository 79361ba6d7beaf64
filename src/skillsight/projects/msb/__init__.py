"""Multi-Sense Badminton (MSB): SkillSight's third dataset (3 levels, forehand/backhand swings, 2D gaze only).

A wing rather than a spine reader: MSB is not an Ego-Exo4D layout (one HDF5 file per subject with
``h5[device][stream]`` groups, swings as time segments), its samples are swing windows rather than
take clips, and its only gaze is 2D, so none of the spine's take scanner, clip dataset or 14-channel
gaze normalisation applies. The wing keeps its reader, synthetic generator, swing dataset and pipeline
together and trains the spine's SkillSight models (teacher gaze branch, student) on them.
"""
