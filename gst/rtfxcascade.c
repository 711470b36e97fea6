/* Reading OpenCV's cascade XML with GMarkup.
 *
 * The file is first parsed into a small element tree (OpenCV's FileStorage XML is a tree of named nodes,
 * sequences being runs of <_> children or whitespace-separated numbers), then read into an RtfxCascade.
 * Both of OpenCV's layouts end up in the same structure, with the meaning cv::CascadeClassifier gives
 * them:
 *  - stage thresholds are lowered by 1e-5, as OpenCV does when it reads them, so that a window whose
 *    sum lands exactly on a threshold after float rounding is not rejected by one side and accepted
 *    by the other;
 *  - a node's left/right is another node when positive, otherwise minus a leaf index; the old layout's
 *    left_val/right_val leaves are numbered in the order they appear, as OpenCV's conversion numbers
 *    them, and its stage tree (parent/next) is ignored, as OpenCV 4 ignores it.
 * Everything that the detector later uses as an index or an offset is checked here, so that a wrong
 * file is an error message and never a read outside the integral images. */
#include "rtfxcascade.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Larger windows than this are not cascades anyone trained; the limit keeps offsets well inside int. */
#define MAX_WINDOW 1024
/* OpenCV lowers every stage threshold by this much when it loads a cascade. */
#define STAGE_THRESHOLD_EPS 1e-5f

G_DEFINE_QUARK (rtfx-cascade-error-quark, rtfx_cascade_error);

/* ---------------------------------------------------------------- the element tree */

typedef struct _XNode XNode;
struct _XNode
{
  gchar *name;
  GString *text;                /* the character data of an element without children */
  XNode *parent, *first, *last, *next;
  guint n_children;
  gint line;
};

static void
xnode_free (XNode * node)
{
  while (node != NULL) {
    XNode *next = node->next;

    xnode_free (node->first);
    g_free (node->name);
    if (node->text != NULL)
      g_string_free (node->text, TRUE);
    g_free (node);
    node = next;
  }
}

typedef struct
{
  XNode *root;
  XNode *current;
} TreeBuilder;

static void
on_start_element (GMarkupParseContext * context, const gchar * name,
    const gchar ** attribute_names, const gchar ** attribute_values,
    gpointer user_data, GError ** error)
{
  TreeBuilder *b = user_data;
  XNode *node = g_new0 (XNode, 1);

  node->name = g_strdup (name);
  g_markup_parse_context_get_position (context, &node->line, NULL);
  node->parent = b->current;
  if (b->current == NULL) {
    b->root = node;
  } else {
    if (b->current->last != NULL)
      b->current->last->next = node;
    else
      b->current->first = node;
    b->current->last = node;
    b->current->n_children++;
  }
  b->current = node;
}

static void
on_end_element (GMarkupParseContext * context, const gchar * name,
    gpointer user_data, GError ** error)
{
  TreeBuilder *b = user_data;

  b->current = b->current->parent;
}

static void
on_text (GMarkupParseContext * context, const gchar * text, gsize len,
    gpointer user_data, GError ** error)
{
  TreeBuilder *b = user_data;

  /* Only leaves carry values; the whitespace between a container's children is of no use. */
  if (b->current == NULL || b->current->first != NULL)
    return;
  if (b->current->text == NULL)
    b->current->text = g_string_sized_new (len);
  g_string_append_len (b->current->text, text, len);
}

static const GMarkupParser tree_parser = {
  on_start_element, on_end_element, on_text, NULL, NULL
};

static XNode *
xnode_child (const XNode * node, const gchar * name)
{
  for (XNode * c = node->first; c != NULL; c = c->next)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

/* ---------------------------------------------------------------- reading values */

typedef struct
{
  const gchar *name;            /* the file, for messages */
  GError **error;
  GArray *numbers;              /* gdouble scratch for number lists */
  GArray *tree_lines;           /* gint, where each tree is in the file */
  gint width, height;
  GArray *stages, *trees, *nodes, *leaves, *features;
} Reader;

static gboolean fail_line (Reader * r, gint line, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);
static gboolean fail (Reader * r, const XNode * at, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail_valist (Reader * r, gint line, gint code, const gchar * format,
    va_list args)
{
  g_autofree gchar *what = g_strdup_vprintf (format, args);

  if (line > 0)
    g_set_error (r->error, RTFX_CASCADE_ERROR, code,
        "Cascade file “%s”, line %d: %s", r->name, line, what);
  else
    g_set_error (r->error, RTFX_CASCADE_ERROR, code,
        "Cascade file “%s”: %s", r->name, what);
  return FALSE;
}

/* Both always return FALSE, so that a check can end with `return fail (...)`. */
static gboolean
fail_line (Reader * r, gint line, gint code, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  fail_valist (r, line, code, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
fail (Reader * r, const XNode * at, gint code, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  fail_valist (r, at != NULL ? at->line : 0, code, format, args);
  va_end (args);
  return FALSE;
}

static XNode *
require (Reader * r, const XNode * node, const gchar * name,
    const gchar * where)
{
  XNode *c = xnode_child (node, name);

  if (c == NULL)
    fail (r, node, RTFX_CASCADE_ERROR_INVALID, "%s has no <%s>", where, name);
  return c;
}

/* The numbers in an element's text, into r->numbers. */
static gboolean
read_numbers (Reader * r, const XNode * node, const gchar * where)
{
  const gchar *p = node->text != NULL ? node->text->str : "";

  g_array_set_size (r->numbers, 0);
  for (;;) {
    gchar *end;
    gdouble v;

    while (g_ascii_isspace (*p))
      p++;
    if (*p == '\0')
      return TRUE;
    errno = 0;
    v = g_ascii_strtod (p, &end);
    if (end == p || errno == ERANGE || !isfinite (v)
        || (*end != '\0' && !g_ascii_isspace (*end)))
      return fail (r, node, RTFX_CASCADE_ERROR_INVALID,
          "%s: “%.20s” is not a number", where, p);
    g_array_append_val (r->numbers, v);
    p = end;
  }
}

static gboolean
read_count (Reader * r, const XNode * node, const gchar * where, guint count)
{
  if (!read_numbers (r, node, where))
    return FALSE;
  if (r->numbers->len != count)
    return fail (r, node, RTFX_CASCADE_ERROR_INVALID,
        "%s has %u numbers where %u are needed", where, r->numbers->len, count);
  return TRUE;
}

static gboolean
to_int (Reader * r, const XNode * node, const gchar * where, gdouble v,
    gint * out)
{
  if (v != floor (v) || v < G_MININT || v > G_MAXINT)
    return fail (r, node, RTFX_CASCADE_ERROR_INVALID,
        "%s is %g, not an integer", where, v);
  *out = (gint) v;
  return TRUE;
}

static gboolean
read_int (Reader * r, const XNode * node, const gchar * where, gint * out)
{
  return read_count (r, node, where, 1)
      && to_int (r, node, where, g_array_index (r->numbers, gdouble, 0), out);
}

static gboolean
read_float (Reader * r, const XNode * node, const gchar * where, gfloat * out)
{
  if (!read_count (r, node, where, 1))
    return FALSE;
  *out = (gfloat) g_array_index (r->numbers, gdouble, 0);
  return TRUE;
}

/* An element's text as a word, without the quotes OpenCV may put around strings. */
static gchar *
read_word (const XNode * node)
{
  gchar *s = g_strstrip (g_strdup (node->text != NULL ? node->text->str : ""));
  gsize len = strlen (s);

  if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
    memmove (s, s + 1, len - 2);
    s[len - 2] = '\0';
  }
  return s;
}

static gboolean
read_window_size (Reader * r, const XNode * at, gint width, gint height)
{
  if (width < 1 || height < 1 || width > MAX_WINDOW || height > MAX_WINDOW)
    return fail (r, at, RTFX_CASCADE_ERROR_INVALID,
        "the detection window is %d×%d; it must be 1 to %d pixels each way",
        width, height, MAX_WINDOW);
  r->width = width;
  r->height = height;
  return TRUE;
}

/* ---------------------------------------------------------------- features */

static gboolean
read_feature (Reader * r, const XNode * node, guint index)
{
  g_autofree gchar *where = g_strdup_printf ("feature %u", index);
  RtfxCascadeFeature f = { 0 };
  XNode *rects = require (r, node, "rects", where);
  XNode *tilted = xnode_child (node, "tilted");
  guint i = 0;

  if (rects == NULL)
    return FALSE;
  if (tilted != NULL) {
    gint t;

    if (!read_int (r, tilted, where, &t))
      return FALSE;
    f.tilted = t != 0;
  }
  if (rects->n_children < 1 || rects->n_children > RTFX_CASCADE_MAX_RECTS)
    return fail (r, rects, RTFX_CASCADE_ERROR_INVALID,
        "%s has %u rectangles; a Haar feature has 1 to %d", where,
        rects->n_children, RTFX_CASCADE_MAX_RECTS);
  for (XNode * c = rects->first; c != NULL; c = c->next, i++) {
    RtfxCascadeRect *rc = &f.rects[i];
    const gdouble *v;
    gboolean fits;

    if (!read_count (r, c, where, 5))
      return FALSE;
    v = (const gdouble *) r->numbers->data;
    if (!to_int (r, c, where, v[0], &rc->x) || !to_int (r, c, where, v[1], &rc->y)
        || !to_int (r, c, where, v[2], &rc->width)
        || !to_int (r, c, where, v[3], &rc->height))
      return FALSE;
    rc->weight = (gfloat) v[4];
    /* Every corner the detector reads must lie inside the window, or it would read outside the
     * integral image at the frame's right and bottom edges. */
    if (f.tilted)
      fits = rc->width >= 0 && rc->height >= 0 && rc->y >= 0
          && rc->x - rc->height >= 0 && rc->x + rc->width <= r->width
          && rc->y + rc->width + rc->height <= r->height;
    else
      fits = rc->width >= 0 && rc->height >= 0 && rc->x >= 0 && rc->y >= 0
          && rc->x + rc->width <= r->width && rc->y + rc->height <= r->height;
    if (!fits)
      return fail (r, c, RTFX_CASCADE_ERROR_INVALID,
          "%s: %srectangle %d %d %d %d does not fit in the %d×%d window",
          where, f.tilted ? "tilted " : "", rc->x, rc->y, rc->width,
          rc->height, r->width, r->height);
  }
  f.n_rects = i;
  g_array_append_val (r->features, f);
  return TRUE;
}

/* ---------------------------------------------------------------- the current layout */

static gboolean
read_weak (Reader * r, const XNode * weak, const gchar * where)
{
  XNode *inner = require (r, weak, "internalNodes", where);
  XNode *leaves = require (r, weak, "leafValues", where);
  RtfxCascadeTree tree;
  guint n_leaves;

  if (inner == NULL || leaves == NULL || !read_numbers (r, inner, where))
    return FALSE;
  /* left, right, feature index, threshold: categorical (LBP) trees have more and never get here. */
  if (r->numbers->len == 0 || r->numbers->len % 4 != 0)
    return fail (r, inner, RTFX_CASCADE_ERROR_INVALID,
        "%s: internalNodes has %u numbers, not four per node", where,
        r->numbers->len);
  g_array_append_val (r->tree_lines, inner->line);
  tree.first_node = r->nodes->len;
  tree.n_nodes = r->numbers->len / 4;
  tree.first_leaf = r->leaves->len;
  for (guint i = 0; i < tree.n_nodes; i++) {
    const gdouble *v = &g_array_index (r->numbers, gdouble, 4 * i);
    RtfxCascadeNode node;
    gint feature = 0;

    if (!to_int (r, inner, where, v[0], &node.left)
        || !to_int (r, inner, where, v[1], &node.right)
        || !to_int (r, inner, where, v[2], &feature))
      return FALSE;
    if (feature < 0)
      return fail (r, inner, RTFX_CASCADE_ERROR_INVALID,
          "%s: feature index %d is negative", where, feature);
    node.feature = feature;
    node.threshold = (gfloat) v[3];
    g_array_append_val (r->nodes, node);
  }

  if (!read_numbers (r, leaves, where))
    return FALSE;
  n_leaves = r->numbers->len;
  for (guint i = 0; i < n_leaves; i++) {
    gfloat leaf = (gfloat) g_array_index (r->numbers, gdouble, i);
    g_array_append_val (r->leaves, leaf);
  }
  if (n_leaves != tree.n_nodes + 1)
    return fail (r, leaves, RTFX_CASCADE_ERROR_INVALID,
        "%s has %u leaf values for %u nodes; a binary tree has one more leaf "
        "than nodes", where, n_leaves, tree.n_nodes);
  g_array_append_val (r->trees, tree);
  return TRUE;
}

static gboolean
read_stage (Reader * r, const XNode * node, guint si, gboolean old_layout);

static gboolean
read_current_layout (Reader * r, const XNode * root)
{
  XNode *n, *stages, *features;
  g_autofree gchar *stage_type = NULL, *feature_type = NULL;
  gint width = 0, height = 0, stage_num = 0;
  guint si = 0, fi = 0;

  if ((n = require (r, root, "stageType", "the cascade")) == NULL)
    return FALSE;
  stage_type = read_word (n);
  if (strcmp (stage_type, "BOOST") != 0)
    return fail (r, n, RTFX_CASCADE_ERROR_UNSUPPORTED,
        "stageType is “%s”; only BOOST cascades are supported", stage_type);
  if ((n = require (r, root, "featureType", "the cascade")) == NULL)
    return FALSE;
  feature_type = read_word (n);
  if (strcmp (feature_type, "HAAR") != 0)
    return fail (r, n, RTFX_CASCADE_ERROR_UNSUPPORTED,
        "featureType is “%s”; only HAAR cascades are supported (not LBP or HOG)",
        feature_type);
  if ((n = xnode_child (root, "featureParams")) != NULL
      && (n = xnode_child (n, "maxCatCount")) != NULL) {
    gint cats;

    if (!read_int (r, n, "maxCatCount", &cats))
      return FALSE;
    if (cats != 0)
      return fail (r, n, RTFX_CASCADE_ERROR_UNSUPPORTED,
          "maxCatCount is %d; categorical features are not supported", cats);
  }
  if ((n = require (r, root, "width", "the cascade")) == NULL
      || !read_int (r, n, "width", &width)
      || (n = require (r, root, "height", "the cascade")) == NULL
      || !read_int (r, n, "height", &height)
      || !read_window_size (r, n, width, height))
    return FALSE;

  if ((stages = require (r, root, "stages", "the cascade")) == NULL)
    return FALSE;
  if (stages->n_children == 0)
    return fail (r, stages, RTFX_CASCADE_ERROR_INVALID, "there are no stages");
  if ((n = xnode_child (root, "stageNum")) != NULL) {
    if (!read_int (r, n, "stageNum", &stage_num))
      return FALSE;
    if (stage_num < 0 || (guint) stage_num != stages->n_children)
      return fail (r, n, RTFX_CASCADE_ERROR_INVALID,
          "stageNum is %d but %u stages are listed", stage_num,
          stages->n_children);
  }
  for (XNode * s = stages->first; s != NULL; s = s->next, si++)
    if (!read_stage (r, s, si, FALSE))
      return FALSE;

  if ((features = require (r, root, "features", "the cascade")) == NULL)
    return FALSE;
  for (XNode * f = features->first; f != NULL; f = f->next, fi++)
    if (!read_feature (r, f, fi))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- the old layout */

/* One node of an old-layout tree: its feature joins the cascade's list, its leaves the tree's. */
static gboolean
read_old_node (Reader * r, const XNode * node, const RtfxCascadeTree * tree,
    const gchar * where)
{
  static const gchar *const sides[2][2] = {
    {"left_val", "left_node"}, {"right_val", "right_node"}
  };
  RtfxCascadeNode out = { 0 };
  XNode *feature = require (r, node, "feature", where);
  XNode *threshold = require (r, node, "threshold", where);

  if (feature == NULL || threshold == NULL
      || !read_float (r, threshold, where, &out.threshold))
    return FALSE;
  out.feature = r->features->len;
  if (!read_feature (r, feature, out.feature))
    return FALSE;
  for (guint side = 0; side < 2; side++) {
    XNode *val = xnode_child (node, sides[side][0]);
    XNode *next = xnode_child (node, sides[side][1]);
    gint *link = side == 0 ? &out.left : &out.right;

    if (val != NULL) {
      gfloat leaf;

      if (!read_float (r, val, where, &leaf))
        return FALSE;
      *link = -(gint) (r->leaves->len - tree->first_leaf);
      g_array_append_val (r->leaves, leaf);
    } else if (next != NULL) {
      if (!read_int (r, next, where, link))
        return FALSE;
      if (*link <= 0)
        return fail (r, next, RTFX_CASCADE_ERROR_INVALID,
            "%s: %s is %d; nodes after the root are numbered from 1", where,
            sides[side][1], *link);
    } else {
      return fail (r, node, RTFX_CASCADE_ERROR_INVALID,
          "%s has neither <%s> nor <%s>", where, sides[side][0],
          sides[side][1]);
    }
  }
  g_array_append_val (r->nodes, out);
  return TRUE;
}

static gboolean
read_old_tree (Reader * r, const XNode * tree_node, const gchar * where)
{
  RtfxCascadeTree tree;
  guint ni = 0;

  if (tree_node->n_children == 0)
    return fail (r, tree_node, RTFX_CASCADE_ERROR_INVALID, "%s has no nodes",
        where);
  g_array_append_val (r->tree_lines, tree_node->line);
  tree.first_node = r->nodes->len;
  tree.n_nodes = tree_node->n_children;
  tree.first_leaf = r->leaves->len;
  for (XNode * n = tree_node->first; n != NULL; n = n->next, ni++) {
    g_autofree gchar *w = g_strdup_printf ("%s, node %u", where, ni);

    if (!read_old_node (r, n, &tree, w))
      return FALSE;
  }
  if (r->leaves->len - tree.first_leaf != tree.n_nodes + 1)
    return fail (r, tree_node, RTFX_CASCADE_ERROR_INVALID,
        "%s has %u leaves for %u nodes; a binary tree has one more leaf than "
        "nodes", where, r->leaves->len - tree.first_leaf, tree.n_nodes);
  g_array_append_val (r->trees, tree);
  return TRUE;
}

static gboolean
read_old_layout (Reader * r, const XNode * root)
{
  XNode *size = require (r, root, "size", "the cascade");
  XNode *stages = require (r, root, "stages", "the cascade");
  gint width = 0, height = 0;
  guint si = 0;

  if (size == NULL || stages == NULL || !read_count (r, size, "size", 2)
      || !to_int (r, size, "size", g_array_index (r->numbers, gdouble, 0),
          &width)
      || !to_int (r, size, "size", g_array_index (r->numbers, gdouble, 1),
          &height)
      || !read_window_size (r, size, width, height))
    return FALSE;
  if (stages->n_children == 0)
    return fail (r, stages, RTFX_CASCADE_ERROR_INVALID, "there are no stages");
  for (XNode * s = stages->first; s != NULL; s = s->next, si++)
    if (!read_stage (r, s, si, TRUE))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- stages, checks, entry points */

static gboolean
read_stage (Reader * r, const XNode * node, guint si, gboolean old_layout)
{
  g_autofree gchar *where = g_strdup_printf ("stage %u", si);
  XNode *threshold = require (r, node,
      old_layout ? "stage_threshold" : "stageThreshold", where);
  XNode *weaks = require (r, node, old_layout ? "trees" : "weakClassifiers",
      where);
  RtfxCascadeStage stage;
  guint wi = 0;

  if (threshold == NULL || weaks == NULL
      || !read_float (r, threshold, where, &stage.threshold))
    return FALSE;
  stage.threshold -= STAGE_THRESHOLD_EPS;
  if (weaks->n_children == 0)
    return fail (r, weaks, RTFX_CASCADE_ERROR_INVALID,
        "%s has no weak classifiers", where);
  stage.first_tree = r->trees->len;
  stage.n_trees = weaks->n_children;
  for (XNode * w = weaks->first; w != NULL; w = w->next, wi++) {
    g_autofree gchar *w_where = g_strdup_printf ("stage %u, weak classifier %u",
        si, wi);

    if (!(old_layout ? read_old_tree (r, w, w_where) : read_weak (r, w,
                w_where)))
      return FALSE;
  }
  g_array_append_val (r->stages, stage);
  return TRUE;
}

/* Links that lead outside their tree, back up it, or to a feature that is not there. */
static gboolean
check_trees (Reader * r)
{
  const RtfxCascadeTree *trees = (const RtfxCascadeTree *) r->trees->data;
  const RtfxCascadeNode *nodes = (const RtfxCascadeNode *) r->nodes->data;

  for (guint si = 0; si < r->stages->len; si++) {
    const RtfxCascadeStage *stage =
        &g_array_index (r->stages, RtfxCascadeStage, si);

    for (guint t = stage->first_tree; t < stage->first_tree + stage->n_trees;
        t++) {
      const RtfxCascadeTree *tree = &trees[t];

      for (guint i = 0; i < tree->n_nodes; i++) {
        const RtfxCascadeNode *node = &nodes[tree->first_node + i];
        const gint links[2] = { node->left, node->right };
        const gint line = g_array_index (r->tree_lines, gint, t);

        if (node->feature >= r->features->len)
          return fail_line (r, line, RTFX_CASCADE_ERROR_INVALID,
              "stage %u, weak classifier %u uses feature %u, but there are "
              "only %u features", si, t - stage->first_tree, node->feature,
              r->features->len);
        for (guint k = 0; k < 2; k++) {
          /* Later nodes only, so that every walk down a tree ends. */
          if (links[k] > 0 ? (guint) links[k] <= i
              || (guint) links[k] >= tree->n_nodes
              : (guint) - links[k] > tree->n_nodes)
            return fail_line (r, line, RTFX_CASCADE_ERROR_INVALID,
                "stage %u, weak classifier %u, node %u links to %s %d, which "
                "is not in the tree", si, t - stage->first_tree, i,
                links[k] > 0 ? "node" : "leaf", ABS (links[k]));
        }
      }
    }
  }
  return TRUE;
}

static RtfxCascade *
build (Reader * r)
{
  RtfxCascade *c = g_new0 (RtfxCascade, 1);

  c->width = r->width;
  c->height = r->height;
  c->n_stages = r->stages->len;
  c->stages = (RtfxCascadeStage *) g_array_free (g_steal_pointer (&r->stages),
      FALSE);
  c->n_trees = r->trees->len;
  c->trees = (RtfxCascadeTree *) g_array_free (g_steal_pointer (&r->trees),
      FALSE);
  c->n_nodes = r->nodes->len;
  c->nodes = (RtfxCascadeNode *) g_array_free (g_steal_pointer (&r->nodes),
      FALSE);
  c->n_leaves = r->leaves->len;
  c->leaves = (gfloat *) g_array_free (g_steal_pointer (&r->leaves), FALSE);
  c->n_features = r->features->len;
  c->features = (RtfxCascadeFeature *)
      g_array_free (g_steal_pointer (&r->features), FALSE);
  for (guint i = 0; i < c->n_features; i++)
    c->has_tilted |= c->features[i].tilted;
  for (guint i = 0; i < c->n_trees; i++)
    c->max_tree_nodes = MAX (c->max_tree_nodes, c->trees[i].n_nodes);
  return c;
}

RtfxCascade *
rtfx_cascade_parse (const gchar * text, gssize length, const gchar * name,
    GError ** error)
{
  TreeBuilder tb = { NULL, NULL };
  GMarkupParseContext *ctx;
  GError *xml_error = NULL;
  Reader r = { 0 };
  RtfxCascade *cascade = NULL;
  XNode *root;
  gboolean ok;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ctx = g_markup_parse_context_new (&tree_parser, 0, &tb, NULL);
  ok = g_markup_parse_context_parse (ctx, text, length, &xml_error)
      && g_markup_parse_context_end_parse (ctx, &xml_error);
  g_markup_parse_context_free (ctx);
  if (!ok) {
    g_set_error (error, RTFX_CASCADE_ERROR, RTFX_CASCADE_ERROR_INVALID,
        "Cascade file “%s” is not well-formed XML: %s", name,
        xml_error->message);
    g_error_free (xml_error);
    xnode_free (tb.root);
    return NULL;
  }

  r.name = name;
  r.error = error;
  r.numbers = g_array_new (FALSE, FALSE, sizeof (gdouble));
  r.tree_lines = g_array_new (FALSE, FALSE, sizeof (gint));
  r.stages = g_array_new (FALSE, FALSE, sizeof (RtfxCascadeStage));
  r.trees = g_array_new (FALSE, FALSE, sizeof (RtfxCascadeTree));
  r.nodes = g_array_new (FALSE, FALSE, sizeof (RtfxCascadeNode));
  r.leaves = g_array_new (FALSE, FALSE, sizeof (gfloat));
  r.features = g_array_new (FALSE, FALSE, sizeof (RtfxCascadeFeature));

  /* Like OpenCV, take the first node under <opencv_storage>, whatever its name. */
  root = tb.root != NULL && strcmp (tb.root->name, "opencv_storage") == 0 ?
      tb.root->first : NULL;
  if (root == NULL)
    ok = fail (&r, tb.root, RTFX_CASCADE_ERROR_INVALID,
        "this is not an OpenCV storage file (no <opencv_storage> with a cascade "
        "in it)");
  else if (xnode_child (root, "stageType") != NULL)
    ok = read_current_layout (&r, root);
  else if (xnode_child (root, "size") != NULL)
    ok = read_old_layout (&r, root);
  else
    ok = fail (&r, root, RTFX_CASCADE_ERROR_INVALID,
        "<%s> is not a cascade: it has neither <stageType> nor <size>",
        root->name);
  if (ok)
    ok = check_trees (&r);
  if (ok)
    cascade = build (&r);

  g_array_unref (r.numbers);
  g_array_unref (r.tree_lines);
  if (r.stages != NULL) {
    g_array_unref (r.stages);
    g_array_unref (r.trees);
    g_array_unref (r.nodes);
    g_array_unref (r.leaves);
    g_array_unref (r.features);
  }
  xnode_free (tb.root);
  return cascade;
}

RtfxCascade *
rtfx_cascade_load (const gchar * filename, GError ** error)
{
  g_autofree gchar *text = NULL;
  gsize length;

  g_return_val_if_fail (filename != NULL, NULL);

  if (!g_file_get_contents (filename, &text, &length, error))
    return NULL;
  return rtfx_cascade_parse (text, length, filename, error);
}

void
rtfx_cascade_free (RtfxCascade * cascade)
{
  if (cascade == NULL)
    return;
  g_free (cascade->stages);
  g_free (cascade->trees);
  g_free (cascade->nodes);
  g_free (cascade->leaves);
  g_free (cascade->features);
  g_free (cascade);
}
