/**
 * SECTION:element-rtfxfacedetect
 * @title: rtfxfacedetect
 *
 * Finds faces (or whatever the cascade was trained on) with a Haar cascade in OpenCV's XML format,
 * on the luma plane of planar YUV or GRAY8 video, with no conversion to RGB. Any cascade of
 * `/usr/share/opencv4/haarcascades/` (Debian package opencv-data) can be used. The cascade is read and
 * run by rtfx's own code, with the algorithm of OpenCV's
 * `cv::CascadeClassifier::detectMultiScale (gray, faces, scale-factor, min-neighbors, 0,
 * (min-size, min-size), (max-size, max-size))`, and the detections are the same as OpenCV 4.6's, so
 * parameters tuned with OpenCV carry over.
 *
 * The detections are attached to the buffers as #GstVideoRegionOfInterestMeta of type
 * `face`, each with a parameter structure `rtfx/face` holding `neighbors` (int) and `score`
 * (double), the fields of the same name described below. With #GstRtfxFaceDetect:draw, a green box
 * is also drawn around each face (white on GRAY8).
 *
 * ## Analysis at its own pace
 *
 * With #GstRtfxFaceDetect:analysis=async (the default) the detector does not set the video's frame
 * rate. Every frame passes at once, with the boxes (and metas) of the newest finished analysis, while
 * a thread of the element analyses a copy of the newest frame's luma; a frame that arrives while
 * another waits for that thread replaces it, so the analysis always works on the freshest picture
 * and never falls behind. The cost on the streaming thread is a copy of the luma plane and the
 * drawing. The thread analyses as often as it can, at most once a frame, at a lower priority than
 * the streaming threads (nice +10 on Linux), so that when the CPU is short the analyses slow down
 * and the video does not; #GstRtfxFaceDetect:max-rate caps the analyses per second of the stream's
 * running time, to bound the CPU they take. With `analysis=sync` each frame is analysed before it is passed on and carries its own
 * detections: use it to analyse every frame of a file, or when each frame's own result matters.
 *
 * In async mode the boxes a frame shows are those of a frame up to about two analyses older. They
 * are dropped at a flush (a seek shows another picture), at a new stream and when the caps change,
 * so a box is never drawn on a picture it was not found in; what was waiting for the analysis
 * thread is dropped too. At EOS the element waits for the analyses under way, so that their
 * messages come before EOS. Going to READY waits for nothing but the end of the analysis the thread
 * is running, which is not reported; then the thread is joined.
 *
 * #GstRtfxFaceDetect:threads threads search each frame, each taking the next scale, with the same
 * faces whatever their number.
 *
 * Every property but #GstRtfxFaceDetect:cascade, #GstRtfxFaceDetect:analysis and
 * #GstRtfxFaceDetect:threads can be changed while the pipeline plays, also by control bindings
 * (GstController), which are synced to each frame's stream time; in async mode a frame is analysed
 * with the values of its own time, so a change applies from the next analysis on.
 *
 * ## What it costs
 *
 * At 640×480, an analysis takes about 40 ms of CPU on the reference machine (`make bench`), with
 * #GstRtfxFaceDetect:threads sharing it out over cores; `analysis=sync` puts all of it in the
 * streaming thread, every frame. `analysis=async` costs the streaming thread about 0.3 ms a frame
 * (the copy of the luma and the boxes) and the analysis thread one analysis's CPU per analysis, at
 * most one a frame or #GstRtfxFaceDetect:max-rate a second.
 *
 * ## The rtfx/faces message
 *
 * After every analysis the element posts an element message whose structure is named `rtfx/faces`,
 * also when no face was found, so that an application can tell "no face" from "no news". In sync
 * mode that is after every frame; in async mode, when the analysis finishes, from the analysis
 * thread, and the times in it are those of the frame analysed:
 *
 * | field | type | meaning |
 * | --- | --- | --- |
 * | `timestamp` | guint64 | the analysed buffer's PTS, in nanoseconds (GST_CLOCK_TIME_NONE if it has none) |
 * | `stream-time` | guint64 | the PTS as stream time (see below for GST_CLOCK_TIME_NONE) |
 * | `running-time` | guint64 | the PTS as running time, to match the frame with the pipeline clock (see below for GST_CLOCK_TIME_NONE) |
 * | `duration` | guint64 | the buffer's duration |
 * | `width`, `height` | gint | the frame's size, the coordinate space of the faces |
 * | `analyses` | guint64 | how many analyses the element has reported since it started, this one included (in sync mode, the frames) |
 * | `faces` | #GstValueList of #GstStructure | one `face` structure per detection, may be empty |
 *
 * Each `face` structure has:
 *
 * | field | type | meaning |
 * | --- | --- | --- |
 * | `x`, `y`, `width`, `height` | gint | the box, in pixels of the frame, inside the frame |
 * | `neighbors` | gint | how many raw window hits were merged into it; more is surer (OpenCV's numDetections) |
 * | `score` | gdouble | how far the best of those windows cleared the cascade's last stage (its leaf sum minus the stage threshold, >= 0); only comparable between detections made with the same cascade |
 *
 * `stream-time` and `running-time` are GST_CLOCK_TIME_NONE when the buffer has no PTS, when the
 * PTS is outside the segment, and for every buffer of a segment that is not in TIME format (such
 * as the BYTES segment of an appsrc left at its default format): such a segment gives no way to
 * turn a PTS into those times. `timestamp` is the PTS all the same, and the message is posted as
 * for any frame.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! rtfxfacedetect ! videoconvert ! autovideosink
 * gst-launch-1.0 -m filesrc location=faces.mp4 ! decodebin ! videoconvert ! rtfxfacedetect analysis=sync draw=false min-size=60 ! fakesink
 * ]|
 * The first shows the camera at its own rate with boxes around the faces; the second prints the
 * `rtfx/faces` message of every frame of the file.
 */
/* for sched_getaffinity () */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtfxfacedetect.h"
#include "gstrtfxtime.h"
#include "rtfxcascade.h"
#include "rtfxfaceworker.h"
#include "rtfxhaar.h"

#include <sched.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtfx_face_detect_debug);
#define GST_CAT_DEFAULT gst_rtfx_face_detect_debug

#define DEFAULT_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define DEFAULT_SCALE_FACTOR 1.1
#define DEFAULT_MIN_NEIGHBORS 3
#define DEFAULT_MIN_SIZE 30
#define DEFAULT_MAX_SIZE 0
#define DEFAULT_DRAW TRUE
#define DEFAULT_ANALYSIS GST_RTFX_FACE_DETECT_ANALYSIS_ASYNC
#define DEFAULT_MAX_RATE 0.0
#define DEFAULT_THREADS 0
/* threads=0 takes one per core up to this: past it, a frame's scales are too few and too unequal
 * to keep more threads busy. */
#define MAX_AUTO_THREADS 4

/* Bright green in BT.601 YUV, and white for grey video. */
static const guint8 BOX_YUV[3] = { 145, 54, 34 };
static const guint8 BOX_GRAY = 255;

enum
{
  PROP_0,
  PROP_CASCADE,
  PROP_SCALE_FACTOR,
  PROP_MIN_NEIGHBORS,
  PROP_MIN_SIZE,
  PROP_MAX_SIZE,
  PROP_DRAW,
  PROP_ANALYSIS,
  PROP_MAX_RATE,
  PROP_THREADS,
};

struct _GstRtfxFaceDetect
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  gchar *cascade_path;
  gdouble scale_factor;
  gint min_neighbors;
  gint min_size;
  gint max_size;
  gboolean draw;
  GstRtfxFaceDetectAnalysis analysis;
  gdouble max_rate;
  guint threads;

  /* made in start, freed in stop */
  RtfxCascade *cascade;
  /* analysis=async: the thread that analyses, and its latest hits as the frame in hand shows them
   * (used by the streaming thread only) */
  RtfxFaceWorker *worker;
  GArray *shown;
  GstClockTime next_due;        /* the running time from which the next frame is analysed */
  /* analysis=sync: the detector, sized in set_info, and the frames analysed; streaming thread */
  RtfxHaar *haar;
  guint64 analyses;
};

#define VIDEO_FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, Y41B, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstRtfxFaceDetect, gst_rtfx_face_detect, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtfxfacedetect, "rtfxfacedetect",
    GST_RANK_NONE, GST_TYPE_RTFX_FACE_DETECT,
    GST_DEBUG_CATEGORY_INIT (gst_rtfx_face_detect_debug, "rtfxfacedetect", 0,
        "rtfx Haar-cascade face detection"));

GType
gst_rtfx_face_detect_analysis_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RTFX_FACE_DETECT_ANALYSIS_SYNC,
        "Every frame is analysed before it is passed on", "sync"},
    {GST_RTFX_FACE_DETECT_ANALYSIS_ASYNC,
          "Frames pass at once; a thread of the element analyses the newest one "
          "whenever it is free", "async"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstRtfxFaceDetectAnalysis", values));
  return type;
}

static void gst_rtfx_face_detect_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_rtfx_face_detect_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static void gst_rtfx_face_detect_finalize (GObject * object);
static GstStateChangeReturn gst_rtfx_face_detect_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_rtfx_face_detect_start (GstBaseTransform * trans);
static gboolean gst_rtfx_face_detect_stop (GstBaseTransform * trans);
static gboolean gst_rtfx_face_detect_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_rtfx_face_detect_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_rtfx_face_detect_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);
static void analysis_done (const RtfxFaceJob * job, const RtfxHaarHit * hits,
    guint n, guint64 analysis, gpointer data);

static void
gst_rtfx_face_detect_class_init (GstRtfxFaceDetectClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags live = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_rtfx_face_detect_set_property;
  gobject_class->get_property = gst_rtfx_face_detect_get_property;
  gobject_class->finalize = gst_rtfx_face_detect_finalize;

  g_object_class_install_property (gobject_class, PROP_CASCADE,
      g_param_spec_string ("cascade", "Cascade",
          "Haar cascade file in OpenCV's XML format, e.g. any of "
          "/usr/share/opencv4/haarcascades/; read when the element starts, so a "
          "change takes effect at the next start", DEFAULT_CASCADE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SCALE_FACTOR,
      g_param_spec_double ("scale-factor", "Scale factor",
          "How much the searched size grows from one scale to the next: lower "
          "finds more faces at more cost, higher is faster but can miss faces "
          "between two sizes (detectMultiScale's scaleFactor)",
          1.01, 4.0, DEFAULT_SCALE_FACTOR, live));
  g_object_class_install_property (gobject_class, PROP_MIN_NEIGHBORS,
      g_param_spec_int ("min-neighbors", "Min neighbors",
          "A face needs more overlapping window hits than this: raise it "
          "against false detections, lower it to find faint faces; 0 reports "
          "every raw hit (detectMultiScale's minNeighbors)",
          0, 100, DEFAULT_MIN_NEIGHBORS, live));
  g_object_class_install_property (gobject_class, PROP_MIN_SIZE,
      g_param_spec_int ("min-size", "Min size",
          "Smallest face searched, in pixels of the frame, for both width and "
          "height; 0 means the cascade's window size. Raising it is the "
          "cheapest way to go faster (detectMultiScale's minSize)",
          0, G_MAXINT, DEFAULT_MIN_SIZE, live));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_int ("max-size", "Max size",
          "Largest face searched, in pixels of the frame, for both width and "
          "height; 0 means no limit but the frame (detectMultiScale's maxSize)",
          0, G_MAXINT, DEFAULT_MAX_SIZE, live));
  g_object_class_install_property (gobject_class, PROP_DRAW,
      g_param_spec_boolean ("draw", "Draw",
          "Draw a box around each face on the video; when off the frames pass "
          "unchanged and only the metas and messages report the faces",
          DEFAULT_DRAW, live));
  g_object_class_install_property (gobject_class, PROP_ANALYSIS,
      g_param_spec_enum ("analysis", "Analysis",
          "async: frames pass at once with the boxes of the newest finished "
          "analysis, while a thread of the element analyses the newest frame "
          "whenever it is free, so the video keeps its rate however slow the "
          "detector; sync: each frame waits for its own analysis (every frame "
          "analysed, for files and for results per frame); read at start",
          GST_TYPE_RTFX_FACE_DETECT_ANALYSIS, DEFAULT_ANALYSIS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_RATE,
      g_param_spec_double ("max-rate", "Max rate",
          "In async mode, the most frames analysed per second of the stream's "
          "running time, the others passing with the newest boxes: lower it to "
          "spend less CPU; 0 analyses as many as the detector keeps up with",
          0.0, 100.0, DEFAULT_MAX_RATE, live));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "How many threads search a frame, each taking the next scale: more "
          "finish a frame sooner for the same CPU time, with the same faces; "
          "0 means one per core the process may run on, at most "
          G_STRINGIFY (MAX_AUTO_THREADS), 0, 64, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "Haar-cascade face detection", "Filter/Analyzer/Video",
      "Finds faces with an OpenCV Haar cascade directly on YUV video; reports "
      "them as region-of-interest metas and rtfx/faces messages, and can draw "
      "them", "rtfx developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_change_state);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_sink_event);
  trans_class->before_transform = gst_rtfx_sync_controls;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_rtfx_face_detect_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_RTFX_FACE_DETECT_ANALYSIS, 0);
}

static void
gst_rtfx_face_detect_init (GstRtfxFaceDetect * self)
{
  self->cascade_path = g_strdup (DEFAULT_CASCADE);
  self->scale_factor = DEFAULT_SCALE_FACTOR;
  self->min_neighbors = DEFAULT_MIN_NEIGHBORS;
  self->min_size = DEFAULT_MIN_SIZE;
  self->max_size = DEFAULT_MAX_SIZE;
  self->draw = DEFAULT_DRAW;
  self->analysis = DEFAULT_ANALYSIS;
  self->max_rate = DEFAULT_MAX_RATE;
  self->threads = DEFAULT_THREADS;
  self->shown = g_array_new (FALSE, FALSE, sizeof (RtfxHaarHit));
}

static void
gst_rtfx_face_detect_finalize (GObject * object)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (object);

  g_clear_pointer (&self->worker, rtfx_face_worker_free);
  g_clear_pointer (&self->haar, rtfx_haar_free);
  g_clear_pointer (&self->cascade, rtfx_cascade_free);
  g_array_unref (self->shown);
  g_free (self->cascade_path);

  G_OBJECT_CLASS (gst_rtfx_face_detect_parent_class)->finalize (object);
}

static void
gst_rtfx_face_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CASCADE:
      g_free (self->cascade_path);
      self->cascade_path = g_value_dup_string (value);
      if (self->cascade != NULL)
        GST_INFO_OBJECT (self, "cascade %s will be read at the next start",
            self->cascade_path);
      break;
    case PROP_SCALE_FACTOR:
      self->scale_factor = g_value_get_double (value);
      break;
    case PROP_MIN_NEIGHBORS:
      self->min_neighbors = g_value_get_int (value);
      break;
    case PROP_MIN_SIZE:
      self->min_size = g_value_get_int (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_int (value);
      break;
    case PROP_DRAW:
      self->draw = g_value_get_boolean (value);
      break;
    case PROP_ANALYSIS:
      self->analysis = g_value_get_enum (value);
      break;
    case PROP_MAX_RATE:
      self->max_rate = g_value_get_double (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtfx_face_detect_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CASCADE:
      g_value_set_string (value, self->cascade_path);
      break;
    case PROP_SCALE_FACTOR:
      g_value_set_double (value, self->scale_factor);
      break;
    case PROP_MIN_NEIGHBORS:
      g_value_set_int (value, self->min_neighbors);
      break;
    case PROP_MIN_SIZE:
      g_value_set_int (value, self->min_size);
      break;
    case PROP_MAX_SIZE:
      g_value_set_int (value, self->max_size);
      break;
    case PROP_DRAW:
      g_value_set_boolean (value, self->draw);
      break;
    case PROP_ANALYSIS:
      g_value_set_enum (value, self->analysis);
      break;
    case PROP_MAX_RATE:
      g_value_set_double (value, self->max_rate);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, self->threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* One per core the process may run on (taskset, cpusets), which g_get_num_processors () does not
 * know of, up to MAX_AUTO_THREADS. */
static guint
auto_threads (void)
{
#ifdef __linux__
  cpu_set_t set;

  if (sched_getaffinity (0, sizeof (set), &set) == 0)
    return CLAMP (CPU_COUNT (&set), 1, MAX_AUTO_THREADS);
#endif
  return MIN (g_get_num_processors (), MAX_AUTO_THREADS);
}

static guint
search_threads (GstRtfxFaceDetect * self)
{
  guint threads;

  GST_OBJECT_LOCK (self);
  threads = self->threads;
  GST_OBJECT_UNLOCK (self);
  return threads > 0 ? threads : auto_threads ();
}

/* Reads the cascade, so that a missing or broken file stops the pipeline from starting with a
 * message that says what is wrong, before any frame flows; in async mode starts the thread. */
static gboolean
gst_rtfx_face_detect_start (GstBaseTransform * trans)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (trans);
  g_autofree gchar *path = NULL;
  GstRtfxFaceDetectAnalysis analysis;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->cascade_path);
  analysis = self->analysis;
  GST_OBJECT_UNLOCK (self);

  if (path == NULL || *path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No cascade file set: set the cascade property to an OpenCV Haar "
            "cascade XML file"), (NULL));
    return FALSE;
  }
  self->cascade = rtfx_cascade_load (path, &error);
  if (self->cascade == NULL) {
    if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", error->message),
          ("cascade property: %s", path));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", error->message),
          ("cascade property: %s", path));
    g_error_free (error);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "cascade %s: %dx%d window, %u stages, %u trees%s",
      path, self->cascade->width, self->cascade->height,
      self->cascade->n_stages, self->cascade->n_trees,
      self->cascade->has_tilted ? ", tilted features" : "");

  self->analyses = 0;
  self->next_due = GST_CLOCK_TIME_NONE;
  if (analysis == GST_RTFX_FACE_DETECT_ANALYSIS_ASYNC) {
    self->worker = rtfx_face_worker_new (self->cascade, search_threads (self),
        analysis_done, self, &error);
    if (self->worker == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not start the analysis thread: %s", error->message), (NULL));
      g_error_free (error);
      g_clear_pointer (&self->cascade, rtfx_cascade_free);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
gst_rtfx_face_detect_stop (GstBaseTransform * trans)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (trans);

  /* The worker first: it may be analysing with the cascade. */
  g_clear_pointer (&self->worker, rtfx_face_worker_free);
  g_clear_pointer (&self->haar, rtfx_haar_free);
  g_clear_pointer (&self->cascade, rtfx_cascade_free);
  return TRUE;
}

static GstStateChangeReturn
gst_rtfx_face_detect_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (element);

  /* Before chaining up: deactivating the pads waits for the streaming thread, which may be
   * waiting at EOS for the worker to finish. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY && self->worker != NULL)
    rtfx_face_worker_set_flushing (self->worker, TRUE);

  return GST_ELEMENT_CLASS (gst_rtfx_face_detect_parent_class)->change_state
      (element, transition);
}

static gboolean
gst_rtfx_face_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (trans);

  if (self->worker != NULL) {
    /* What comes after a flush or at a new stream is another picture, where no box of the old
     * one belongs. */
    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_FLUSH_START:
        GST_DEBUG_OBJECT (self, "flushing: forgetting the analyses under way");
        rtfx_face_worker_set_flushing (self->worker, TRUE);
        break;
      case GST_EVENT_FLUSH_STOP:
        rtfx_face_worker_set_flushing (self->worker, FALSE);
        self->next_due = GST_CLOCK_TIME_NONE;
        break;
      case GST_EVENT_STREAM_START:
        GST_DEBUG_OBJECT (self, "new stream: forgetting the analyses under way");
        rtfx_face_worker_forget (self->worker);
        self->next_due = GST_CLOCK_TIME_NONE;
        break;
      case GST_EVENT_EOS:
        /* So that the last frames' messages come before EOS does. */
        rtfx_face_worker_drain (self->worker);
        break;
      default:
        break;
    }
  }

  return GST_BASE_TRANSFORM_CLASS (gst_rtfx_face_detect_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_rtfx_face_detect_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (filter);
  const gint width = GST_VIDEO_INFO_WIDTH (in_info);
  const gint height = GST_VIDEO_INFO_HEIGHT (in_info);
  guint threads;

  GST_DEBUG_OBJECT (self, "configuring for %dx%d %s", width, height,
      GST_VIDEO_INFO_NAME (in_info));

  if (self->cascade == NULL)
    return FALSE;
  /* The worker sizes its detector to the frames it gets; boxes found on frames of the old caps
   * may not fit the new ones. */
  if (self->worker != NULL) {
    rtfx_face_worker_forget (self->worker);
    self->next_due = GST_CLOCK_TIME_NONE;
    return TRUE;
  }

  threads = search_threads (self);
  g_clear_pointer (&self->haar, rtfx_haar_free);
  self->haar = rtfx_haar_new (self->cascade, width, height, threads);
  if (self->haar == NULL)
    return FALSE;
  if (rtfx_haar_threads (self->haar) < threads)
    GST_WARNING_OBJECT (self, "searching on %u threads: no more could be "
        "started", rtfx_haar_threads (self->haar));
  return TRUE;
}

/* Paints [x0, x1) x [y0, y1) in colour[component], the chroma of every sample that covers a pixel
 * of it included. */
static void
fill_rect (GstVideoFrame * frame, gint x0, gint y0, gint x1, gint y1,
    const guint8 * colour)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;

  for (guint comp = 0; comp < GST_VIDEO_FRAME_N_COMPONENTS (frame); comp++) {
    const gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp);
    const gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, comp);
    const gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp);
    const gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, comp);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, comp);
    const gint cx1 = ((x1 - 1) >> ws) + 1, cy1 = ((y1 - 1) >> hs) + 1;

    for (gint cy = y0 >> hs; cy < cy1; cy++) {
      guint8 *row = data + (gsize) cy * stride;

      for (gint cx = x0 >> ws; cx < cx1; cx++)
        row[cx * pstride] = colour[comp];
    }
  }
}

/* A box of the given thickness around the hit, kept inside it. */
static void
draw_box (GstVideoFrame * frame, const RtfxHaarHit * hit, gint thickness,
    const guint8 * colour)
{
  const gint x0 = hit->x, y0 = hit->y;
  const gint x1 = hit->x + hit->width, y1 = hit->y + hit->height;
  const gint tx = MIN (thickness, (hit->width + 1) / 2);
  const gint ty = MIN (thickness, (hit->height + 1) / 2);

  fill_rect (frame, x0, y0, x1, y0 + ty, colour);
  fill_rect (frame, x0, y1 - ty, x1, y1, colour);
  fill_rect (frame, x0, y0, x0 + tx, y1, colour);
  fill_rect (frame, x1 - tx, y0, x1, y1, colour);
}

static void
draw_boxes (GstVideoFrame * frame, const RtfxHaarHit * hits, guint n)
{
  const gboolean gray = GST_VIDEO_FRAME_N_COMPONENTS (frame) == 1;
  /* 2 pixels at 640x480, growing with the frame so that boxes stay visible. */
  const gint thickness = MAX (2, MIN (GST_VIDEO_FRAME_WIDTH (frame),
          GST_VIDEO_FRAME_HEIGHT (frame)) / 240);

  for (guint i = 0; i < n; i++)
    draw_box (frame, &hits[i], thickness, gray ? &BOX_GRAY : BOX_YUV);
}

static void
add_metas (GstBuffer * buf, const RtfxHaarHit * hits, guint n)
{
  for (guint i = 0; i < n; i++) {
    GstVideoRegionOfInterestMeta *meta =
        gst_buffer_add_video_region_of_interest_meta (buf, "face",
        hits[i].x, hits[i].y, hits[i].width, hits[i].height);

    meta->id = i;
    gst_video_region_of_interest_meta_add_param (meta,
        gst_structure_new ("rtfx/face",
            "neighbors", G_TYPE_INT, hits[i].neighbors,
            "score", G_TYPE_DOUBLE, hits[i].score, NULL));
  }
}

static GstStructure *
face_structure (const RtfxHaarHit * hit)
{
  return gst_structure_new ("face",
      "x", G_TYPE_INT, hit->x, "y", G_TYPE_INT, hit->y,
      "width", G_TYPE_INT, hit->width, "height", G_TYPE_INT, hit->height,
      "neighbors", G_TYPE_INT, hit->neighbors,
      "score", G_TYPE_DOUBLE, hit->score, NULL);
}

static void
post_faces (GstRtfxFaceDetect * self, const RtfxFaceJob * job,
    const RtfxHaarHit * hits, guint n, guint64 analysis)
{
  GValue faces = G_VALUE_INIT;
  GstStructure *s;

  g_value_init (&faces, GST_TYPE_LIST);
  for (guint i = 0; i < n; i++) {
    GValue face = G_VALUE_INIT;

    g_value_init (&face, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&face, face_structure (&hits[i]));
    gst_value_list_append_and_take_value (&faces, &face);
  }
  s = gst_structure_new ("rtfx/faces",
      "timestamp", G_TYPE_UINT64, job->pts,
      "stream-time", G_TYPE_UINT64, job->stream_time,
      "running-time", G_TYPE_UINT64, job->running_time,
      "duration", G_TYPE_UINT64, job->duration,
      "width", G_TYPE_INT, job->width, "height", G_TYPE_INT, job->height,
      "analyses", G_TYPE_UINT64, analysis, NULL);
  gst_structure_take_value (s, "faces", &faces);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* async: on the worker's thread, when an analysis is done. */
static void
analysis_done (const RtfxFaceJob * job, const RtfxHaarHit * hits, guint n,
    guint64 analysis, gpointer data)
{
  GstRtfxFaceDetect *self = data;

  GST_LOG_OBJECT (self, "analysis %" G_GUINT64_FORMAT " of the frame at %"
      GST_TIME_FORMAT ": %u faces", analysis, GST_TIME_ARGS (job->pts), n);
  post_faces (self, job, hits, n, analysis);
}

/* The luma, rows of width bytes, into dst. */
static void
copy_luma (const GstVideoFrame * frame, guint8 * dst)
{
  const gint width = GST_VIDEO_FRAME_WIDTH (frame);
  const gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);
  const guint8 *src = GST_VIDEO_FRAME_COMP_DATA (frame, 0);

  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (frame); y++)
    memcpy (dst + (gsize) y * width, src + (gsize) y * stride, width);
}

/* Whether, under max-rate, the frame at running time rt is to be analysed. Analyses fall due on a
 * grid of 1/max-rate, so that the jitter of live timestamps does not lower the rate; the grid
 * starts again when the stream goes back in time or has left it behind. A frame without a running
 * time is always due. */
static gboolean
analysis_due (GstRtfxFaceDetect * self, GstClockTime rt, gdouble max_rate)
{
  GstClockTime interval;

  if (max_rate <= 0.0 || !GST_CLOCK_TIME_IS_VALID (rt))
    return TRUE;
  interval = (GstClockTime) (GST_SECOND / max_rate);
  if (GST_CLOCK_TIME_IS_VALID (self->next_due) && rt < self->next_due
      && rt + interval >= self->next_due)
    return FALSE;
  if (GST_CLOCK_TIME_IS_VALID (self->next_due) && rt >= self->next_due
      && rt < self->next_due + interval)
    self->next_due += interval;
  else
    self->next_due = rt + interval;
  return TRUE;
}

static GstFlowReturn
gst_rtfx_face_detect_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstRtfxFaceDetect *self = GST_RTFX_FACE_DETECT (filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM (filter);
  const GstClockTime pts = GST_BUFFER_PTS (frame->buffer);
  RtfxFaceJob job = {
    .width = GST_VIDEO_FRAME_WIDTH (frame),
    .height = GST_VIDEO_FRAME_HEIGHT (frame),
    .pts = pts,
    .duration = GST_BUFFER_DURATION (frame->buffer),
    .stream_time = gst_rtfx_stream_time (&trans->segment, pts),
    .running_time = gst_rtfx_running_time (&trans->segment, pts),
  };
  const RtfxHaarHit *hits;
  gdouble max_rate;
  gboolean draw;
  guint n;

  GST_OBJECT_LOCK (self);
  job.params.scale_factor = self->scale_factor;
  job.params.min_neighbors = self->min_neighbors;
  job.params.min_width = job.params.min_height = self->min_size;
  job.params.max_width = job.params.max_height = self->max_size;
  max_rate = self->max_rate;
  draw = self->draw;
  GST_OBJECT_UNLOCK (self);

  if (self->worker != NULL) {
    /* The boxes are those of analyses already finished, read before this frame is handed
     * over, and its luma goes over before they are drawn on it. */
    n = rtfx_face_worker_latest (self->worker, self->shown);
    hits = (const RtfxHaarHit *) self->shown->data;
    if (analysis_due (self, job.running_time, max_rate)) {
      copy_luma (frame, rtfx_face_worker_plane (self->worker, job.width,
              job.height));
      rtfx_face_worker_submit (self->worker, &job);
    }
  } else {
    n = rtfx_haar_detect (self->haar, GST_VIDEO_FRAME_COMP_DATA (frame, 0),
        GST_VIDEO_FRAME_COMP_STRIDE (frame, 0), &job.params, &hits);
  }
  GST_LOG_OBJECT (self, "%u faces", n);

  add_metas (frame->buffer, hits, n);
  if (draw)
    draw_boxes (frame, hits, n);
  if (self->worker == NULL)
    post_faces (self, &job, hits, n, ++self->analyses);
  return GST_FLOW_OK;
}
