/* A boosted cascade of Haar-feature trees, read from the XML files OpenCV's cv::CascadeClassifier reads:
 * its current format (<cascade> with stageType BOOST and featureType HAAR, as opencv_traincascade writes
 * it) and the older one (<… type_id="opencv-haar-classifier">, as the licence-plate cascade of opencv-data
 * still is), which becomes the same structure once loaded. Plain C and GLib, no OpenCV code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RTFX_CASCADE_ERROR (rtfx_cascade_error_quark ())
GQuark rtfx_cascade_error_quark (void);

typedef enum
{
  RTFX_CASCADE_ERROR_INVALID,   /* not XML, or not a cascade, or numbers that cannot be right */
  RTFX_CASCADE_ERROR_UNSUPPORTED,       /* a well-formed cascade of a kind we do not evaluate (LBP, HOG) */
} RtfxCascadeError;

/* OpenCV's Haar features have at most three rectangles. */
#define RTFX_CASCADE_MAX_RECTS 3

typedef struct
{
  /* An upright rectangle, or with tilted set one turned 45°: its corners are then (x, y), (x + width,
   * y + width), (x - height, y + height) and (x + width - height, y + width + height). */
  gint x, y, width, height;
  gfloat weight;
} RtfxCascadeRect;

typedef struct
{
  RtfxCascadeRect rects[RTFX_CASCADE_MAX_RECTS];
  guint n_rects;
  gboolean tilted;
} RtfxCascadeFeature;

typedef struct
{
  /* Where to go when the feature value is below threshold (left) or not (right): a positive value is
   * another node of the same tree (always a later one), zero or a negative one is minus the index of
   * a leaf of the tree. */
  gint left, right;
  guint feature;
  gfloat threshold;             /* on the feature value normalised by the window's standard deviation */
} RtfxCascadeNode;

typedef struct
{
  guint first_node, n_nodes;
  guint first_leaf;             /* a tree has n_nodes + 1 leaves */
} RtfxCascadeTree;

typedef struct
{
  guint first_tree, n_trees;
  /* A window goes on to the next stage when the sum of its trees' leaves is not below this. */
  gfloat threshold;
} RtfxCascadeStage;

typedef struct
{
  gint width, height;           /* of the detection window */
  RtfxCascadeStage *stages;
  guint n_stages;
  RtfxCascadeTree *trees;
  guint n_trees;
  RtfxCascadeNode *nodes;
  guint n_nodes;
  gfloat *leaves;
  guint n_leaves;
  RtfxCascadeFeature *features;
  guint n_features;
  gboolean has_tilted;          /* some feature needs the 45° integral image */
  guint max_tree_nodes;         /* 1 when every tree is a stump */
} RtfxCascade;

/* Reads a cascade file. On failure returns NULL and sets error: G_FILE_ERROR when the file cannot be
 * read, RTFX_CASCADE_ERROR when its content is not a usable cascade; the message names the file and,
 * where it can, the line and the stage, tree or feature that is wrong. */
RtfxCascade *rtfx_cascade_load (const gchar * filename, GError ** error);

/* The same from text in memory; name is what error messages call it. */
RtfxCascade *rtfx_cascade_parse (const gchar * text, gssize length,
    const gchar * name, GError ** error);

void rtfx_cascade_free (RtfxCascade * cascade);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtfxCascade, rtfx_cascade_free)

G_END_DECLS
