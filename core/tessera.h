/* tessera.h — the public API of libtessera: reproject astronomical images
 * from their world coordinate system (WCS) onto another.
 *
 * Conventions
 * - Pixel coordinates are 0-based with pixel centres on integers (FITS
 *   CRPIX is 1-based); pixel edges are at ±0.5.
 * - Images are stored row-major: pixel (x, y) of plane p is element
 *   (p * height + y) * width + x.
 * - Errors are reported through GError in the TESS_ERROR domain; the
 *   library never prints and never exits.
 * - Thread safety: unless stated otherwise, a function may be called from
 *   any thread; distinct objects may be used concurrently from different
 *   threads; a single object must not be modified concurrently.  Objects
 *   documented as immutable may be shared read-only between threads.
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

/* The GError domain of the errors the library sets, their codes those of
 * TessError.  tess_error_quark() never fails and is thread-safe. */
#define TESS_ERROR (tess_error_quark ())
GQuark tess_error_quark (void);

/**
 * TessError:
 * @TESS_ERROR_IO: a file is missing, unreadable or cannot be written
 * @TESS_ERROR_FORMAT: a file is not valid FITS, is corrupt, or holds no image
 * @TESS_ERROR_WCS: no celestial WCS, or a header that wcslib rejects
 * @TESS_ERROR_INVALID: an argument or option is out of range
 * @TESS_ERROR_NO_OVERLAP: the target does not overlap the input
 * @TESS_ERROR_UNSUPPORTED: valid input that this version cannot handle
 * @TESS_ERROR_CANCELLED: the operation was cancelled
 * @TESS_ERROR_NO_MEMORY: not enough memory
 */
typedef enum
{
  TESS_ERROR_IO,
  TESS_ERROR_FORMAT,
  TESS_ERROR_WCS,
  TESS_ERROR_INVALID,
  TESS_ERROR_NO_OVERLAP,
  TESS_ERROR_UNSUPPORTED,
  TESS_ERROR_CANCELLED,
  TESS_ERROR_NO_MEMORY,
} TessError;

/* Version of the library, as "MAJOR.MINOR.PATCH": a static string.  Never
 * fails. */
const char *tess_version (void);

/* ---------------------------------------------------------------------- */
/* Methods and options                                                     */

/**
 * TessMethod:
 * @TESS_METHOD_NEAREST: nearest input pixel
 * @TESS_METHOD_BILINEAR: linear in x and y (2×2 stencil)
 * @TESS_METHOD_BIQUADRATIC: quadratic B-spline interpolation (3×3 stencil)
 * @TESS_METHOD_BICUBIC: cubic B-spline interpolation (4×4 stencil)
 * @TESS_METHOD_ADAPTIVE: anti-aliased resampling (DeForest 2004): each
 *   output pixel is a kernel-weighted mean of the input pixels under it,
 *   the kernel shaped by the local Jacobian of the transform (see the
 *   adaptive fields of TessOptions)
 * @TESS_METHOD_EXACT: flux-conserving overlap: each output pixel is the
 *   mean of the input pixels weighted by the area they share with it
 *
 * The B-spline methods interpolate (they pass through the input values):
 * the input is prefiltered into spline coefficients first.
 */
typedef enum
{
  TESS_METHOD_NEAREST,
  TESS_METHOD_BILINEAR,
  TESS_METHOD_BIQUADRATIC,
  TESS_METHOD_BICUBIC,
  TESS_METHOD_ADAPTIVE,
  TESS_METHOD_EXACT,
} TessMethod;

#define TESS_N_METHODS (TESS_METHOD_EXACT + 1)

/* Name of a method ("nearest", "bilinear", ...): a static string,
 * "unknown" for a value that names no method.  Never fails. */
const char *tess_method_name (TessMethod method);
/* Parses a method name into @method (case, and '-' versus '_', do not
 * matter); returns FALSE (and sets @error: TESS_ERROR_INVALID, a message
 * listing the names) when unknown, @method then untouched. */
gboolean tess_method_from_name (const char *name, TessMethod *method,
                                GError **error);

/**
 * TessKernel:
 * @TESS_KERNEL_GAUSSIAN: exp(−2|t|²/w²) for a kernel width w, truncated to
 *   the sample region
 * @TESS_KERNEL_HANN: (cos πt₁ + 1)(cos πt₂ + 1) where |t₁|, |t₂| < 1
 *
 * The adaptive method's kernel, of t = J⁻¹·(input pixel − centre), where J
 * is the Jacobian of the output → input map with its singular values
 * raised to at least 1.
 */
typedef enum
{
  TESS_KERNEL_GAUSSIAN,
  TESS_KERNEL_HANN,
} TessKernel;

/**
 * TessBoundaryMode:
 * @TESS_BOUNDARY_STRICT: NaN when the sample region leaves the input
 * @TESS_BOUNDARY_CONSTANT: samples outside are the boundary fill value;
 *   NaN when no sample is inside
 * @TESS_BOUNDARY_GRID_CONSTANT: as constant, but the fill value (not NaN)
 *   when no sample is inside
 * @TESS_BOUNDARY_IGNORE: samples outside are left out
 * @TESS_BOUNDARY_IGNORE_THRESHOLD: as ignore, but NaN when the weight
 *   left out exceeds the threshold fraction of the whole
 * @TESS_BOUNDARY_NEAREST: samples outside take the nearest edge pixel
 *
 * What the adaptive method does with samples outside the input.
 */
typedef enum
{
  TESS_BOUNDARY_STRICT,
  TESS_BOUNDARY_CONSTANT,
  TESS_BOUNDARY_GRID_CONSTANT,
  TESS_BOUNDARY_IGNORE,
  TESS_BOUNDARY_IGNORE_THRESHOLD,
  TESS_BOUNDARY_NEAREST,
} TessBoundaryMode;

/**
 * TessBadValueMode:
 * @TESS_BAD_VALUE_STRICT: NaN and infinite samples propagate into every
 *   output pixel whose kernel weighs them
 * @TESS_BAD_VALUE_CONSTANT: they count as the bad-value fill value
 * @TESS_BAD_VALUE_IGNORE: they are left out (NaN where nothing is left)
 *
 * What the adaptive method does with NaN and infinite input samples.
 */
typedef enum
{
  TESS_BAD_VALUE_STRICT,
  TESS_BAD_VALUE_CONSTANT,
  TESS_BAD_VALUE_IGNORE,
} TessBadValueMode;

/**
 * TessNanMode:
 * @TESS_NAN_SKIP: NaN input pixels are left out: their area counts
 *   neither in the output value nor in the footprint
 * @TESS_NAN_PROPAGATE: an output pixel that overlaps a NaN input pixel is
 *   NaN (astropy reproject's behaviour)
 *
 * What the exact method does with NaN input pixels.
 */
typedef enum
{
  TESS_NAN_SKIP,
  TESS_NAN_PROPAGATE,
} TessNanMode;

/* Names ("gaussian", "ignore_threshold", "propagate", ...) and parsers of
 * the option enumerations; the parsers set @error when a name is unknown.
 * The names are static strings ("unknown" for a value that names none)
 * and never fail; the parsers read names as tess_method_from_name() does
 * and fail only so, with TESS_ERROR_INVALID. */
const char *tess_kernel_name (TessKernel kernel);
gboolean tess_kernel_from_name (const char *name, TessKernel *kernel,
                                GError **error);
const char *tess_boundary_mode_name (TessBoundaryMode mode);
gboolean tess_boundary_mode_from_name (const char *name,
                                       TessBoundaryMode *mode, GError **error);
const char *tess_bad_value_mode_name (TessBadValueMode mode);
gboolean tess_bad_value_mode_from_name (const char *name,
                                        TessBadValueMode *mode,
                                        GError **error);
const char *tess_nan_mode_name (TessNanMode mode);
gboolean tess_nan_mode_from_name (const char *name, TessNanMode *mode,
                                  GError **error);

/**
 * TessOptions:
 * @method: reprojection method (default bilinear)
 * @roundtrip: map each output pixel to the input and back, and make it NaN
 *   when it lands more than one pixel away (default TRUE); guards against
 *   projections that are not one-to-one
 * @exact_transform: compute the exact coordinate transform for every output
 *   pixel instead of interpolating it on a grid (default FALSE)
 * @transform_tolerance: largest error, in input pixels, allowed for the
 *   interpolated coordinate grid at the test points of its cells; cells
 *   that exceed it are split in four, then computed exactly (default 1e-6)
 * @grid_step: spacing, in output pixels, of the exactly computed grid
 *   (default 16)
 *
 * Adaptive method (defaults as astropy's reproject_adaptive):
 * @kernel: TESS_KERNEL_GAUSSIAN (default) or TESS_KERNEL_HANN
 * @kernel_width: Gaussian width w, in pixels, ±1σ (default 1.3)
 * @sample_region_width: width, in output pixels, of the region sampled for
 *   the Gaussian kernel (default 4)
 * @boundary_mode: samples outside the input (default strict)
 * @boundary_fill_value: for the constant boundary modes (default 0)
 * @boundary_ignore_threshold: for ignore_threshold, 0…1 (default 0.5)
 * @bad_value_mode: NaN and infinite samples (default strict)
 * @bad_fill_value: for the constant bad-value mode (default 0)
 * @conserve_flux: multiply by |det J|, the ratio of pixel areas, so that
 *   sums are kept rather than surface brightness (default FALSE)
 * @center_jacobian: the Jacobian from transforms half a pixel either side
 *   of each output pixel rather than from its neighbours' (default FALSE)
 * @despike_jacobian: replace a Jacobian whose squared norm exceeds ten
 *   times the third smallest of its 3×3 neighbourhood by the mean of its
 *   neighbours (where the map jumps, as across the seam of an all-sky
 *   input; default FALSE)
 * @x_cyclic, @y_cyclic: the input wraps around along x or y, whatever the
 *   boundary mode (default FALSE)
 *
 * Exact method:
 * @nan_mode: NaN input pixels (default TESS_NAN_SKIP)
 *
 * Initialise with tess_options_init() and change what you need.  The
 * structure's size is fixed (256 bytes): fields added later take the place
 * of the reserved padding, which tess_options_init() zeroes, so a program
 * built against this header keeps working with later libraries.
 */
typedef struct
{
  TessMethod method;
  gboolean roundtrip;
  gboolean exact_transform;
  double transform_tolerance;
  int grid_step;

  TessKernel kernel;
  double kernel_width;
  double sample_region_width;
  TessBoundaryMode boundary_mode;
  double boundary_fill_value;
  double boundary_ignore_threshold;
  TessBadValueMode bad_value_mode;
  double bad_fill_value;
  gboolean conserve_flux;
  gboolean center_jacobian;
  gboolean despike_jacobian;
  gboolean x_cyclic, y_cyclic;

  TessNanMode nan_mode;

  /*< private >*/
  guint64 _tess_reserved[18];
} TessOptions;

/* Fills @options with the defaults (the padding zeroed).  Never fails. */
void tess_options_init (TessOptions *options);
/* Checks that every option is in range; FALSE with @error (a message
 * naming the option) otherwise, always TESS_ERROR_INVALID.
 * tess_plan_new() checks them too. */
gboolean tess_options_check (const TessOptions *options, GError **error);

/* ---------------------------------------------------------------------- */
/* Angles                                                                  */

/**
 * tess_angle_parse:
 *
 * Reads an angle as typed: decimal degrees ("187.5", "-12.25"), or
 * sexagesimal with colons, spaces or unit letters ("12:30:00",
 * "12 30 00", "12h30m00s", "-12d30m00s").  Sexagesimal values are hours
 * when @hours is TRUE (a right ascension) unless written with 'd', and
 * degrees otherwise.  FALSE with @error when @text is not an angle.
 *
 * Returns: %TRUE with *@degrees set, or %FALSE with @error set:
 *   TESS_ERROR_INVALID when @text (not %NULL) is not an angle; *@degrees
 *   is then untouched.
 */
gboolean tess_angle_parse (const char *text, gboolean hours, double *degrees,
                           GError **error);
/* Sexagesimal text of an angle: "HH:MM:SS.ss" when @hours, else
 * "+DD:MM:SS.s", with @decimals digits (0..6) after the seconds.
 * @decimals is clamped to 0..6 and @degrees must be finite; hours have no
 * sign (the absolute value is written).  Returns a newly allocated
 * string: g_free() it.  Never fails. */
char *tess_angle_format (double degrees, gboolean hours, int decimals);

/* ---------------------------------------------------------------------- */
/* Celestial frames                                                        */

typedef enum
{
  TESS_FRAME_ICRS,
  TESS_FRAME_FK5,      /* mean equator and equinox J2000 */
  TESS_FRAME_FK4,      /* mean equator and equinox B1950, with E-terms */
  TESS_FRAME_FK4_NO_E, /* as FK4 without the E-terms of aberration */
  TESS_FRAME_GALACTIC,
  TESS_FRAME_ECLIPTIC, /* mean ecliptic and equinox J2000 */
} TessFrame;

/* "icrs", "fk5", "fk4", "fk4-no-e", "galactic", "ecliptic": static
 * strings ("unknown" for a value that names no frame), never failing; the
 * parser reads them as tess_method_from_name() does, FALSE with
 * TESS_ERROR_INVALID (@frame untouched) when a name is unknown. */
const char *tess_frame_name (TessFrame frame);
gboolean tess_frame_from_name (const char *name, TessFrame *frame,
                               GError **error);

/**
 * tess_frame_convert:
 * @from: frame of the given coordinates
 * @to: frame wanted
 * @n: number of points
 * @lon: (inout): longitudes in degrees
 * @lat: (inout): latitudes in degrees
 *
 * Converts @n positions in place, at full precision (the frame constants
 * of the IAU definitions as astropy uses them).  Non-finite values stay
 * non-finite.  Thread-safe.  Never fails; @from and @to must be values of
 * TessFrame (not the -1 of tess_wcs_get_frame(): a programming error,
 * which aborts, unless the two are equal).
 */
void tess_frame_convert (TessFrame from, TessFrame to, gsize n, double *lon,
                         double *lat);

/* ---------------------------------------------------------------------- */
/* World coordinate systems                                                */

/**
 * TessWcs:
 *
 * A celestial WCS with the image shape it describes, built from a FITS
 * header.  Immutable once created: may be shared between threads.
 * Reference-counted.
 */
typedef struct _TessWcs TessWcs;

/**
 * tess_wcs_new_from_header:
 * @cards: the header as consecutive 80-character FITS cards (no
 *   separators), as cfitsio's fits_hdr2str() makes it; copied, not %NULL
 * @ncards: number of cards in @cards
 * @source: (nullable): name of where the header came from, used in error
 *   messages (copied); %NULL for "header"
 * @error: return location for an error
 *
 * Parses the header's primary WCS.  The two celestial axes must be pixel
 * axes 1 and 2; further axes (spectral, Stokes, ...) are kept in the
 * header but are not transformed.  A primary WCS of two typed axes that
 * are not celestial is taken as such (see tess_wcs_is_celestial()).
 *
 * Returns: (transfer full): a new TessWcs (tess_wcs_unref() it), or %NULL
 *   with @error set: TESS_ERROR_FORMAT (@ncards not within 1 … 10⁶),
 *   TESS_ERROR_WCS (no primary WCS with celestial or two typed axes, or
 *   one that wcslib cannot parse or set up), TESS_ERROR_UNSUPPORTED
 *   (celestial axes other than 1 and 2; a RADESYS other than ICRS, FK5,
 *   FK4 and FK4-NO-E; an EQUINOX other than 2000 for FK5 and ecliptic
 *   coordinates or 1950 for the FK4 ones; an axis 3 coupled to axes 1
 *   and 2 by PC or CD), TESS_ERROR_INVALID (NAXIS1 or NAXIS2 negative or
 *   above 2^24)
 */
TessWcs *tess_wcs_new_from_header (const char *cards, int ncards,
                                   const char *source, GError **error);

/**
 * tess_wcs_load:
 * @path: a FITS file (cfitsio extended syntax allowed: "f.fits[1]",
 *   "f.fits[SCI]"), or a text header file with one card per line, as
 *   Montage's .hdr files or DS9's "fits header" output
 * @error: return location for an error
 *
 * Reads a header from a file and parses its WCS and NAXIS1/NAXIS2: from a
 * FITS file, the HDU named or the first holding an image, failing that the
 * primary header.  Reentrant as tess_image_load() is.
 *
 * Returns: (transfer full): a new TessWcs, or %NULL with @error set:
 *   TESS_ERROR_IO (the file is missing or unreadable; cfitsio says so of
 *   a FITS file shorter than one 2880-byte block too), TESS_ERROR_FORMAT
 *   (a corrupt FITS file; a text file over 64 MiB or with NUL bytes, a
 *   line longer than 80 characters or that is not a card, or no cards),
 *   or those of tess_wcs_new_from_header() for the header read
 */
TessWcs *tess_wcs_load (const char *path, GError **error);

/**
 * TessWcsParams:
 *
 * A simple celestial WCS described by its parameters, for
 * tess_wcs_new_from_params(): @frame, a three-letter @projection code
 * ("TAN", "CAR", ...), the reference point @lon, @lat (degrees) placed at
 * the 0-based pixel position @crpix_x, @crpix_y, the pixel @scale in
 * degrees (square pixels), the @rotation of north from +y towards -x in
 * degrees (as CROTA2), and the image @width and @height.
 *
 * Zero the whole structure before filling it (memset, or "= { 0 }"), or
 * fill it with tess_wcs_get_params(): its size is fixed (128 bytes), and
 * fields added later take the place of the padding with 0 meaning what
 * the structure meant before them.
 */
typedef struct
{
  TessFrame frame;
  char projection[4];
  double lon, lat;
  double crpix_x, crpix_y;
  double scale;
  double rotation;
  gint64 width, height;

  /*< private >*/
  guint64 _tess_reserved[7];
} TessWcsParams;

/**
 * tess_wcs_new_from_params:
 * @params: the parameters (read, not kept)
 * @error: return location for an error
 *
 * Makes the WCS @params describe: a header of CTYPE, CRVAL, CRPIX, CDELT,
 * PC, CUNIT (and RADESYS, EQUINOX as the frame needs) parsed as
 * tess_wcs_new_from_header() does, with the source "WCS parameters".
 *
 * Returns: (transfer full): a new TessWcs, or %NULL with @error set:
 *   TESS_ERROR_INVALID (a frame that is none of TessFrame's, a scale that
 *   is not positive, a value that is not finite, a side not within
 *   1 … 2^24, a projection code that is not one of FITS's three-letter
 *   codes), TESS_ERROR_WCS (a projection wcslib cannot set up without
 *   parameters of its own, as the conics and BON)
 */
TessWcs *tess_wcs_new_from_params (const TessWcsParams *params,
                                   GError **error);

/* Adds a reference to @wcs and returns it; tess_wcs_unref() drops one
 * (@wcs may be %NULL), freeing the WCS with the last.  Both are atomic:
 * thread-safe.  Never fail. */
TessWcs *tess_wcs_ref (TessWcs *wcs);
void tess_wcs_unref (TessWcs *wcs);

/* Image size of the WCS (NAXIS1, NAXIS2), 0 when the header has none.
 * Never fail. */
gint64 tess_wcs_get_width (const TessWcs *wcs);
gint64 tess_wcs_get_height (const TessWcs *wcs);
/* The same WCS with another image size.  (transfer full): a new TessWcs;
 * there is no error to report, and a side outside 0 … 2^24 is a
 * programming error, which aborts. */
TessWcs *tess_wcs_with_size (const TessWcs *wcs, gint64 width, gint64 height);
/* The same WCS shifted so that its pixel (x0, y0) becomes (0, 0), with a
 * new size.  (transfer full): a new TessWcs; as for tess_wcs_with_size(),
 * a side outside 0 … 2^24 aborts. */
TessWcs *tess_wcs_crop (const TessWcs *wcs, gint64 x0, gint64 y0, gint64 width,
                        gint64 height);
/* The celestial frame; -1 for a WCS without celestial axes, or whose
 * celestial system is none of TessFrame's (supergalactic, planetary, ...).
 * Never fails. */
TessFrame tess_wcs_get_frame (const TessWcs *wcs);
/* FALSE for a WCS without celestial axes (linear, or another
 * non-celestial type): its world coordinates are the axes' own, and it
 * reprojects only onto one with the same axis types and units; its frame
 * is then -1.  Never fails. */
gboolean tess_wcs_is_celestial (const TessWcs *wcs);
/* Where the header came from, as given when it was made ("header" when
 * none was): owned by @wcs, valid while it lives.  Never fails. */
const char *tess_wcs_get_source (const TessWcs *wcs);
/* One-line human description: frame, projection, centre, scale, size.  A
 * newly allocated string: g_free() it.  Never fails. */
char *tess_wcs_describe (const TessWcs *wcs);
/* The header as text, one card a line, ending with END: what
 * tess_wcs_load() reads back (Montage's .hdr form).  A newly allocated
 * string: g_free() it.  Never fails. */
char *tess_wcs_to_text (const TessWcs *wcs);

/**
 * tess_wcs_get_params:
 *
 * The simple description of @wcs (the inverse of
 * tess_wcs_new_from_params()): its frame and projection, the world
 * position of the image centre placed at the centre pixel, the pixel
 * scale (geometric mean of the two axes, degrees), the rotation of
 * north (as CROTA2, degrees) and the size.  Distortions and a flipped
 * (north-up, east-right) parity are not represented.  FALSE with @error
 * when the frame is none of TessFrame's or the centre has no position.
 *
 * Returns: %TRUE with *@params filled (its padding zeroed), or %FALSE
 *   with @error set, *@params untouched: TESS_ERROR_WCS (a WCS that is
 *   not celestial, a celestial frame that is none of TessFrame's, a
 *   centre, or a point half a pixel from it, without sky position)
 */
gboolean tess_wcs_get_params (const TessWcs *wcs, TessWcsParams *params,
                              GError **error);

/**
 * tess_wcs_binned:
 *
 * The WCS of an image binned by @factor (> 0; need not be an integer):
 * each pixel covers @factor × @factor pixels of @wcs, the first one's
 * corner at @wcs's first pixel's corner, and the size is rounded up.
 * SIP and TPV distortions carry over; others (lookup tables, DSS) are
 * refused with %TESS_ERROR_UNSUPPORTED.  For previews.
 *
 * Returns: (transfer full): a new TessWcs, or %NULL with @error set:
 *   TESS_ERROR_INVALID (@factor not finite, not positive or above 2^24),
 *   TESS_ERROR_UNSUPPORTED (as above), or those of
 *   tess_wcs_new_from_header() should the binned header be refused
 */
TessWcs *tess_wcs_binned (const TessWcs *wcs, double factor, GError **error);

/**
 * tess_wcs_pixel_to_world:
 * @wcs: a WCS
 * @n: number of points
 * @x, @y: 0-based pixel positions
 * @lon, @lat: (out): world positions in degrees in the WCS's own frame;
 *   NaN where a pixel has no world position
 * @error: return location for an error
 *
 * Thread-safe (works on a private copy of the transform).
 *
 * Returns: %TRUE, or %FALSE with @error set (nothing written then):
 *   TESS_ERROR_WCS when wcslib cannot make the copy of the transform
 */
gboolean tess_wcs_pixel_to_world (const TessWcs *wcs, gsize n, const double *x,
                                  const double *y, double *lon, double *lat,
                                  GError **error);
/* The inverse of tess_wcs_pixel_to_world(): NaN where there is no pixel
 * (and for non-finite positions).  Thread-safe; FALSE with TESS_ERROR_WCS
 * only as tess_wcs_pixel_to_world(). */
gboolean tess_wcs_world_to_pixel (const TessWcs *wcs, gsize n,
                                  const double *lon, const double *lat,
                                  double *x, double *y, GError **error);

/* ---------------------------------------------------------------------- */
/* Images                                                                  */

/**
 * TessImage:
 *
 * An image: one or more planes of width × height pixels (the extra FITS
 * axes, if any, are flattened into planes), a WCS, and a FITS header.
 * Pixels are float or double; undefined pixels are NaN.  Immutable once
 * made, except through tess_image_get_data() of an image you created.
 * Reference-counted.
 */
typedef struct _TessImage TessImage;

typedef enum
{
  TESS_TYPE_FLOAT,
  TESS_TYPE_DOUBLE,
} TessPixelType;

/**
 * tess_image_load:
 * @path: a FITS file, cfitsio extended syntax allowed; the first HDU that
 *   holds an image is used when none is named
 * @error: return location for an error
 *
 * Reads an image and its WCS.  BITPIX 8/16/32/64 are scaled by
 * BSCALE/BZERO and BLANK becomes NaN; tile-compressed images are read too.
 * Pixels are held as double for BITPIX -64, 32 and 64, as float otherwise.
 * Plain float data (BITPIX -32/-64, not scaled or compressed) are mapped
 * from the file rather than read; the others are read into memory.
 *
 * Reentrant when cfitsio is (fits_is_reentrant()); cfitsio's stack of
 * messages is the process's, though, so that the detail of a message may
 * come from a failure in another thread.
 *
 * Returns: (transfer full): the image (tess_image_unref() it), or %NULL
 *   with @error set: TESS_ERROR_IO (the file is missing or unreadable,
 *   which cfitsio says of a file shorter than one 2880-byte block too;
 *   the data cannot be mapped; a scratch copy, see tess_image_open(),
 *   cannot be made), TESS_ERROR_FORMAT (not FITS or corrupt, no image of
 *   two or more axes in the file or the HDU named, data cut short),
 *   TESS_ERROR_UNSUPPORTED (more than 9 axes), TESS_ERROR_INVALID (a side
 *   of 0 or above 2^24, more samples than memory can address),
 *   TESS_ERROR_NO_MEMORY (no memory for the samples), or those of
 *   tess_wcs_new_from_header() for the HDU's header
 */
TessImage *tess_image_load (const char *path, GError **error);

/**
 * tess_image_open:
 * @path: as for tess_image_load()
 * @scratch_dir: (nullable): where a scratch copy may go; %NULL (or "")
 *   for $TMPDIR
 * @error: return location for an error
 *
 * As tess_image_load(), but the samples are never read into memory: plain
 * float data are mapped from the file; other data (integers, scaled,
 * tile-compressed) are converted once, a slice at a time, into a native
 * scratch file in @scratch_dir (its free space checked first), which is
 * mapped and removed with the image.  For data larger than memory, and for
 * a process that hands the work to others (a run with several jobs: the
 * workers share the mapping).  tess_image_load() does the same by itself
 * for other data larger than an eighth of the memory.
 *
 * Returns: (transfer full): the image, or %NULL with @error set as by
 *   tess_image_load(); TESS_ERROR_IO also when the scratch file cannot be
 *   made or written in @scratch_dir, or it has not room enough
 */
TessImage *tess_image_open (const char *path, const char *scratch_dir,
                            GError **error);

/**
 * tess_image_new:
 * Makes an image of @nplanes planes of @width × @height pixels, all NaN,
 * with the given WCS; @header_cards (80-character cards, may be %NULL)
 * become its non-structural header keywords.
 *
 * The image takes a reference to @wcs and copies the @ncards cards; an
 * @nplanes below 1 makes one plane.  There is no GError: a side not
 * within 1 … 2^24, too many samples, or not enough memory make it return
 * %NULL.
 *
 * Returns: (transfer full) (nullable): the image (tess_image_unref() it),
 *   or %NULL as said
 */
TessImage *tess_image_new (TessWcs *wcs, TessPixelType type, gint64 width,
                           gint64 height, gint64 nplanes,
                           const char *header_cards, int ncards);

/**
 * tess_image_new_for_data:
 * @wcs: the image's WCS (the image takes a reference to it)
 * @type: the pixel type of @data
 * @width, @height, @nplanes: the image's size (@nplanes >= 1)
 * @data: @nplanes × @height × @width samples, row-major (see Conventions);
 *   not %NULL
 * @big_endian: the samples are big-endian rather than in the machine's
 *   order (as FITS data are)
 * @destroy: (nullable): called with @user_data once the image no longer
 *   uses @data (when its last reference goes)
 * @user_data: for @destroy
 * @error: return location for an error
 *
 * Makes an image over the caller's memory, without copying it: for data
 * already in memory in another program (a numpy array).  @data must stay
 * valid and unchanged until @destroy is called.  Big-endian samples are
 * read as they are; a native copy is made only by tess_image_get_data().
 * Such an image is not backed by a file, so runs with several jobs
 * compute it in the calling thread.
 *
 * Returns: (transfer full): the image, or %NULL with @error set (a size
 *   out of range); @destroy is not called then.  The error is
 *   TESS_ERROR_INVALID: a side not within 1 … 2^24, @nplanes below 1, or
 *   more samples than memory can address.
 */
TessImage *tess_image_new_for_data (TessWcs *wcs, TessPixelType type,
                                    gint64 width, gint64 height,
                                    gint64 nplanes, gconstpointer data,
                                    gboolean big_endian,
                                    GDestroyNotify destroy, gpointer user_data,
                                    GError **error);

/* Adds a reference to @image and returns it; tess_image_unref() drops one
 * (@image may be %NULL), and the last frees the image: its samples are
 * freed, unmapped or given back through the @destroy of
 * tess_image_new_for_data(), and its reference to its WCS dropped.  Both
 * are atomic: thread-safe.  Never fail. */
TessImage *tess_image_ref (TessImage *image);
void tess_image_unref (TessImage *image);

/* The image's width and height.  Never fail. */
gint64 tess_image_get_width (const TessImage *image);
gint64 tess_image_get_height (const TessImage *image);
/* Number of planes (the product of NAXIS3...).  Never fails. */
gint64 tess_image_get_nplanes (const TessImage *image);
/* The FITS axes beyond the second: their count and lengths.  The count
 * is returned; the first @max lengths go to @lengths (which may be %NULL
 * when @max is 0).  Never fails. */
int tess_image_get_extra_axes (const TessImage *image, gint64 *lengths,
                               int max);
/* Float or double, the type of tess_image_get_data().  Never fails. */
TessPixelType tess_image_get_pixel_type (const TessImage *image);
/* Pixel data (float or double by the pixel type), all planes.  In native
 * byte order: (transfer none), owned by the image, valid while it lives.
 * Big-endian samples (mapped from a FITS file, or given so to
 * tess_image_new_for_data()) are copied once, at the first call
 * (thread-safe), into native memory; NULL when memory is short for that
 * copy.  Those of tess_image_new_for_data() are otherwise the caller's. */
gpointer tess_image_get_data (TessImage *image);
/* Footprint plane (float, width × height), or NULL if the image has none.
 * (transfer none): owned by the image.  The images of tess_plan_run() and
 * tess_plan_run_region() have one; images loaded or made have none.
 * Never fails. */
float *tess_image_get_footprint (TessImage *image);
/* The image's WCS: (transfer none), owned by the image; tess_wcs_ref() it
 * to keep it longer.  Never fails. */
TessWcs *tess_image_get_wcs (const TessImage *image);
/* Where the image came from (a path), or NULL: owned by the image; NULL
 * for an image made in memory (tess_image_new(), the output of a plan).
 * Never fails. */
const char *tess_image_get_source (const TessImage *image);

/**
 * tess_image_add_history:
 * Appends a HISTORY card (text longer than a card is split).
 *
 * Never fails.  It changes the image: not while another thread uses it,
 * nor a plan made from it (plans copy its keywords into their output).
 */
void tess_image_add_history (TessImage *image, const char *text);
/* Sets a keyword of the header (a string value).  The card of @key (8
 * characters at most) is replaced, or one appended; @value (its quotes
 * doubled) is cut to fit the card, @comment may be NULL.  Never fails;
 * not while others use the image, as for tess_image_add_history(). */
void tess_image_set_keyword_string (TessImage *image, const char *key,
                                    const char *value, const char *comment);

/**
 * TessWriteFlags:
 * @TESS_WRITE_OVERWRITE: replace an existing file
 * @TESS_WRITE_NO_FOOTPRINT: leave out the FOOTPRINT extension
 */
typedef enum
{
  TESS_WRITE_OVERWRITE = 1 << 0,
  TESS_WRITE_NO_FOOTPRINT = 1 << 1,
} TessWriteFlags;

/**
 * tess_image_save:
 * @image: the image
 * @path: output FITS file name
 * @flags: TessWriteFlags
 * @error: return location for an error
 *
 * Writes the image to the primary HDU (BITPIX -32 or -64) with its WCS
 * and header keywords, and its footprint to an IMAGE extension named
 * FOOTPRINT.  The file is written under a temporary name in the same
 * folder and renamed when complete: it appears whole or not at all.  An
 * image without a footprint is written without the extension.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_IO (@path exists
 *   and @flags lacks TESS_WRITE_OVERWRITE, or is a folder; no file can
 *   be made in its folder; not enough disk space; a write or the final
 *   rename fails), TESS_ERROR_NO_MEMORY (no memory for the native copy
 *   of big-endian samples, see tess_image_get_data())
 */
gboolean tess_image_save (TessImage *image, const char *path,
                          TessWriteFlags flags, GError **error);

/* ---------------------------------------------------------------------- */
/* Reprojection                                                            */

/**
 * TessPlan:
 *
 * A validated reprojection of an input image onto a target WCS: making it
 * checks everything and computes nothing.  Any rectangle of the output can
 * then be computed, any number of times, from any thread (each call uses
 * its own copies of the transforms).  Reference-counted.
 */
typedef struct _TessPlan TessPlan;

/**
 * tess_plan_new:
 * @input: the image to reproject (the plan takes a reference to it)
 * @target: the output WCS; its width and height give the output size (the
 *   plan takes a reference to it)
 * @options: (nullable): options, %NULL for the defaults (copied)
 * @error: return location for an error
 *
 * Returns: (transfer full): a plan (tess_plan_unref() it), or %NULL with
 *   @error set (no overlap, bad size, bad options, ...):
 *   TESS_ERROR_INVALID (bad options, a target without size, an output too
 *   large to address), TESS_ERROR_WCS (an input without WCS; a celestial
 *   WCS and a non-celestial one, or non-celestial axes of other types or
 *   units; a target's axis 3 that the input's WCS lacks),
 *   TESS_ERROR_UNSUPPORTED (an axis 3 that cannot be converted into the
 *   target's: other types or units, other SPECSYS, no rest frequency, an
 *   input of more than three axes), TESS_ERROR_NO_OVERLAP (the target, or
 *   its axis 3, does not overlap the input)
 */
TessPlan *tess_plan_new (TessImage *input, TessWcs *target,
                         const TessOptions *options, GError **error);
/* Adds a reference to @plan and returns it; tess_plan_unref() drops one
 * (@plan may be %NULL), and the last frees the plan and drops its
 * references to its input and target.  Both are atomic: thread-safe.
 * Never fail. */
TessPlan *tess_plan_ref (TessPlan *plan);
void tess_plan_unref (TessPlan *plan);

/**
 * TessRect: a rectangle of pixels, @x0 and @y0 its first column and row.
 */
typedef struct
{
  gint64 x0, y0, width, height;
} TessRect;

/**
 * tess_plan_compute_region:
 * @plan: a plan
 * @rect: the part of the output to compute (not %NULL)
 * @data: (out): nplanes × rect.height × rect.width pixels of the plan's
 *   output type (tess_plan_get_pixel_type())
 * @footprint: (out) (nullable): rect.height × rect.width floats: the
 *   fraction of each pixel the input covers (exact method), else 1 where
 *   a plane has a value and 0 elsewhere
 * @error: return location for an error
 *
 * Computes a rectangle of the output.  The result does not depend on how
 * the output is split into rectangles.  Thread-safe: any number of calls
 * may run at once on one plan (the spline coefficients they need are made
 * once, band by band, for all).  On error the contents of @data and
 * @footprint are undefined.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_INVALID (@rect
 *   empty or not inside the output), TESS_ERROR_NO_MEMORY (the spline
 *   coefficients; the input planes of a block when axis 3 is
 *   reprojected), TESS_ERROR_IO (the spline coefficients of a large
 *   input, kept in a scratch file in $TMPDIR, cannot be made, mapped,
 *   written or read back), TESS_ERROR_WCS (should wcslib fail to copy a
 *   transform)
 */
gboolean tess_plan_compute_region (TessPlan *plan, const TessRect *rect,
                                   gpointer data, float *footprint,
                                   GError **error);

/* The type of the output, the input's (tess_image_get_pixel_type()):
 * TESS_TYPE_DOUBLE for BITPIX -64, 32 and 64 (integers wider than a
 * float's 24 bits) and for a double image made in memory,
 * TESS_TYPE_FLOAT otherwise.  Never fails. */
TessPixelType tess_plan_get_pixel_type (const TessPlan *plan);
/* The number of output planes: the input's, or the target's axis-3
 * length when axis 3 is reprojected.  Never fails. */
gint64 tess_plan_get_nplanes (const TessPlan *plan);

/**
 * TessProgress:
 * @blocks_done, @blocks_total: blocks of the output computed, and in all
 * @pixels_done, @pixels_total: output pixels (of one plane) computed
 * @elapsed: seconds since the start
 * @eta: estimated seconds left, or a negative number while unknown
 */
typedef struct
{
  gint64 blocks_done, blocks_total;
  gint64 pixels_done, pixels_total;
  double elapsed;
  double eta;
} TessProgress;

/* Called in the thread that runs the job, at most about ten times a
 * second, and once at the end. */
typedef void (*TessProgressFunc) (const TessProgress *progress,
                                  gpointer user_data);

/**
 * tess_plan_run:
 * @plan: a plan
 * @cancellable: (nullable): cancels the run (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback
 * @user_data: for @progress
 * @error: return location for an error
 *
 * Computes the whole output in the calling thread and returns it as an
 * image with footprint, target WCS, the input's non-structural keywords,
 * and HISTORY cards saying what was done.  Thread-safe on one plan, as
 * tess_plan_compute_region(); @cancellable is checked between blocks.
 *
 * Returns: (transfer full): the image (tess_image_unref() it), or %NULL
 *   with @error set: TESS_ERROR_CANCELLED, TESS_ERROR_NO_MEMORY (the
 *   output image, a block's buffers), or those of
 *   tess_plan_compute_region()
 */
TessImage *tess_plan_run (TessPlan *plan, GCancellable *cancellable,
                          TessProgressFunc progress, gpointer user_data,
                          GError **error);

/**
 * TessEngine:
 * What computes the blocks of a run of several jobs:
 * @TESS_ENGINE_AUTO: threads (the default)
 * @TESS_ENGINE_THREADS: threads of the calling process, sharing the plan
 *   (its input, its spline coefficients): no start-up cost, any input
 * @TESS_ENGINE_PROCESSES: worker processes, each reading the input again
 *   from its file (an image not loaded from a file is an error); a worker
 *   that dies has its blocks computed by another
 */
typedef enum
{
  TESS_ENGINE_AUTO,
  TESS_ENGINE_THREADS,
  TESS_ENGINE_PROCESSES
} TessEngine;

/* "auto", "threads", "processes": static strings ("unknown" for a value
 * that names no engine), never failing; the parser reads them as
 * tess_method_from_name() does, FALSE with TESS_ERROR_INVALID (@engine
 * untouched) when a name is unknown. */
const char *tess_engine_name (TessEngine engine);
gboolean tess_engine_from_name (const char *name, TessEngine *engine,
                                GError **error);

/**
 * TessRunOptions:
 * @block_width, @block_height: the output is computed in blocks of this
 *   size (any size gives the same result); 0 for an automatic size
 * @jobs: blocks computed at once: 1 (the default) computes them one after
 *   the other in the calling thread, 0 one a core, or one only when the
 *   run is too small for more to gain.  The result is the same for any
 *   number.
 * @engine: what computes them when @jobs is not 1: threads, or worker
 *   processes (separate executables, tessera-worker or $TESSERA_WORKER,
 *   safe to start from a multi-threaded program)
 *
 * Initialise with tess_run_options_init().  Fixed size (64 bytes): later
 * fields take the place of the zeroed padding.
 */
typedef struct
{
  gint64 block_width, block_height;
  int jobs;
  TessEngine engine;

  /*< private >*/
  guint64 _tess_reserved[5];
} TessRunOptions;

/* Fills @options with the defaults: automatic blocks, one job, the
 * engine TESS_ENGINE_AUTO (the padding zeroed).  Never fails. */
void tess_run_options_init (TessRunOptions *options);

/**
 * tess_plan_run_region:
 * @plan: a plan
 * @rect: the part of the output to compute (not %NULL, unlike
 *   tess_plan_run_into()'s)
 * @run: (nullable): how to run, %NULL for the defaults
 * @cancellable: (nullable): cancels the run (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback, called in this thread
 * @user_data: for @progress
 * @error: return location for an error
 *
 * As tess_plan_run(), for a rectangle of the output: the image returned
 * has the rectangle's size and the target WCS shifted so that its pixel
 * (0, 0) is the rectangle's first one.  Its pixels are bit-identical to the
 * same pixels of the whole output, whatever the blocks.  Thread-safe on
 * one plan, as tess_plan_run_into().
 *
 * Returns: (transfer full): the image (tess_image_unref() it), or %NULL
 *   with @error set: as tess_plan_run_into(), TESS_ERROR_NO_MEMORY also
 *   when the output image cannot be allocated
 */
TessImage *tess_plan_run_region (TessPlan *plan, const TessRect *rect,
                                 const TessRunOptions *run,
                                 GCancellable *cancellable,
                                 TessProgressFunc progress, gpointer user_data,
                                 GError **error);

/**
 * tess_plan_run_into:
 * @plan: a plan
 * @rect: (nullable): the part of the output to compute, %NULL for all
 * @run: (nullable): how to run, %NULL for the defaults
 * @data: (out): nplanes × rect.height × rect.width pixels of the plan's
 *   output type, where the result goes
 * @footprint: (out) (nullable): rect.height × rect.width floats
 * @cancellable: (nullable): cancels the run (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback, called in this thread
 * @user_data: for @progress
 * @error: return location for an error
 *
 * As tess_plan_compute_region(), into the caller's memory, with the blocks
 * and jobs of @run.  On error the contents of @data and @footprint are
 * undefined.  Thread-safe on one plan, as tess_plan_compute_region():
 * several runs may share a plan at once.  @cancellable is checked between
 * blocks.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_INVALID (@rect
 * outside the output, bad @run), TESS_ERROR_CANCELLED, TESS_ERROR_NO_MEMORY,
 * or TESS_ERROR_IO (an input that cannot be read, a worker process that
 * failed).  A bad @run is a negative block size or @jobs, an unknown
 * engine, or worker processes for an input not loaded from a file.
 * TESS_ERROR_IO is also a scratch file of spline coefficients that cannot
 * be made, written or read, and, with worker processes, a worker that
 * cannot be started, that died twice on one block, or that failed,
 * whatever its error (its message is kept).  Other errors are those of
 * tess_plan_compute_region().
 */
gboolean tess_plan_run_into (TessPlan *plan, const TessRect *rect,
                             const TessRunOptions *run, gpointer data,
                             float *footprint, GCancellable *cancellable,
                             TessProgressFunc progress, gpointer user_data,
                             GError **error);

/**
 * tess_plan_write:
 * @plan: a plan
 * @rect: (nullable): the part of the output to compute, %NULL for all
 * @run: (nullable): how to run, %NULL for the defaults
 * @path: the FITS file to write
 * @flags: TessWriteFlags
 * @cancellable: (nullable): cancels the run (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback, called in this thread
 * @user_data: for @progress
 * @error: return location for an error
 *
 * As tess_plan_run_region(), but the result goes to a FITS file (laid out
 * as tess_image_save() does) block by block as blocks are computed — by
 * the threads or workers themselves when @run asks for several — so the
 * output is never held whole in memory.  The file is written under a
 * temporary name and renamed when complete: on error or cancellation no
 * file is left.  Thread-safe on one plan, as tess_plan_run_into().
 *
 * Returns: %TRUE, or %FALSE with @error set: as tess_plan_run_into(), and
 *   TESS_ERROR_IO for the file (@path exists and @flags lacks
 *   TESS_WRITE_OVERWRITE, or is a folder; no file can be made in its
 *   folder; not enough disk space; a write or the final rename fails)
 */
gboolean tess_plan_write (TessPlan *plan, const TessRect *rect,
                          const TessRunOptions *run, const char *path,
                          TessWriteFlags flags, GCancellable *cancellable,
                          TessProgressFunc progress, gpointer user_data,
                          GError **error);

/* ---------------------------------------------------------------------- */
/* Mosaics                                                                 */

/**
 * TessCombine:
 * How the values of overlapping inputs make one output pixel: their
 * weighted @TESS_COMBINE_MEAN (weights: the footprint times the input's
 * weight), weighted @TESS_COMBINE_SUM, @TESS_COMBINE_MEDIAN, the value of
 * the @TESS_COMBINE_FIRST or @TESS_COMBINE_LAST input (in the order
 * given) that has one, @TESS_COMBINE_MIN or @TESS_COMBINE_MAX.  NaN values
 * never count.
 */
typedef enum
{
  TESS_COMBINE_MEAN,
  TESS_COMBINE_SUM,
  TESS_COMBINE_MEDIAN,
  TESS_COMBINE_FIRST,
  TESS_COMBINE_LAST,
  TESS_COMBINE_MIN,
  TESS_COMBINE_MAX,
} TessCombine;

/* "mean", "sum", "median", "first", "last", "min", "max": static strings
 * ("unknown" for a value that names none), never failing; the parser
 * reads them as tess_method_from_name() does, FALSE with
 * TESS_ERROR_INVALID (@combine untouched) when a name is unknown. */
const char *tess_combine_name (TessCombine combine);
gboolean tess_combine_from_name (const char *name, TessCombine *combine,
                                 GError **error);

/**
 * TessMosaicOptions:
 * @combine: how overlapping values combine
 * @match_background: subtract from each input an offset fitted on the
 *   overlaps (pairwise median differences, least squares)
 * @background_reference: the input (0-based) whose offset is 0, or -1 for
 *   offsets of zero mean
 * @blank: the value of output pixels no input covers (NaN by default)
 *
 * Initialise with tess_mosaic_options_init().  Fixed size (64 bytes): later
 * fields take the place of the zeroed padding.
 */
typedef struct
{
  TessCombine combine;
  gboolean match_background;
  int background_reference;
  double blank;

  /*< private >*/
  guint64 _tess_reserved[5];
} TessMosaicOptions;

/* Fills @options with the defaults: mean, no background matching, no
 * reference (-1), blank NaN (the padding zeroed).  Never fails. */
void tess_mosaic_options_init (TessMosaicOptions *options);

/* A mosaic in the making: its inputs' plans and where they land, its
 * background offsets.  Not reference-counted (tess_mosaic_free()); the
 * functions that fit or set its offsets, or change its weights, change
 * it: one thread at a time, and not while it computes. */
typedef struct _TessMosaic TessMosaic;

/**
 * tess_mosaic_new:
 * @inputs: (array length=n): the images (a reference is taken to each)
 * @n: the number of inputs
 * @weights: (array length=n) (nullable): a weight per image (>= 0)
 * @target: the output WCS and size (a reference is taken)
 * @options: the reprojection options (not %NULL; copied)
 * @mosaic: the mosaic's options (not %NULL; copied)
 * @error: return location for an error
 *
 * Prepares a mosaic of @inputs on @target: a plan per input, and where on
 * the target each lands.  Inputs off the target are left out; none on it
 * is a %TESS_ERROR_NO_OVERLAP error.  All inputs must have the same
 * number of planes.
 *
 * Returns: (transfer full): the mosaic (tess_mosaic_free() it), or %NULL
 *   with @error set: TESS_ERROR_INVALID (@n below 1, bad options or
 *   mosaic options, a weight negative or not finite, inputs with other
 *   numbers of planes), TESS_ERROR_UNSUPPORTED (a target with an axis 3
 *   of its own), TESS_ERROR_NO_OVERLAP (as said), or the errors of
 *   tess_plan_new() for an input, other than TESS_ERROR_NO_OVERLAP
 */
TessMosaic *tess_mosaic_new (TessImage *const *inputs, int n,
                             const double *weights, TessWcs *target,
                             const TessOptions *options,
                             const TessMosaicOptions *mosaic, GError **error);
/* Frees @mosaic (%NULL allowed), dropping its references to its inputs,
 * their weight images and its target.  Never fails. */
void tess_mosaic_free (TessMosaic *mosaic);
/* Weights for input @i, pixel by pixel: an image of its size (NaN and
 * negative values weigh 0), reprojected as the input is; the footprint
 * and the input's weight are multiplied by it.  @i must be an input's
 * index (a programming error otherwise).  The mosaic keeps a reference to
 * @weights (through a plan of it, by its own WCS, on the target), except
 * for an input off the target: then nothing is done and TRUE returned.
 * Changes the mosaic: see TessMosaic.  FALSE with @error:
 * TESS_ERROR_INVALID (not one plane of the input's size), or
 * tess_plan_new()'s errors for @weights on the target (TESS_ERROR_WCS,
 * TESS_ERROR_NO_OVERLAP, ...). */
gboolean tess_mosaic_set_weight_image (TessMosaic *mosaic, int i,
                                       TessImage *weights, GError **error);
/* The number of inputs (used or not).  Never fails. */
int tess_mosaic_get_n_inputs (const TessMosaic *mosaic);
/* Whether input @i lands on the target (FALSE for an @i that is no
 * input's).  Never fails. */
gboolean tess_mosaic_input_used (const TessMosaic *mosaic, int i);
/* Fits the background offsets (done by tess_mosaic_write() when the
 * options ask for it).  Called by hand, it fits them whatever the
 * options, and the offsets are then subtracted.  Each input is
 * reprojected (bilinear, its first plane) onto the target binned to at
 * most 1024 pixels a side; an input whose plan on it cannot be made,
 * whatever the error, is left out of the fit.  Changes the mosaic: see
 * TessMosaic.  FALSE with @error: TESS_ERROR_INVALID (an input
 * overlapping no other, or overlaps that do not determine the offsets),
 * TESS_ERROR_CANCELLED (checked between inputs), TESS_ERROR_UNSUPPORTED
 * (a target that has to be binned with a distortion tess_wcs_binned()
 * refuses), or those of tess_plan_compute_region(). */
gboolean tess_mosaic_match_backgrounds (TessMosaic *mosaic,
                                        GCancellable *cancellable,
                                        GError **error);
/* The offset subtracted from each input (0 unless matched):
 * tess_mosaic_get_n_inputs() values, owned by the mosaic, valid while it
 * lives (and changed when offsets are fitted or set).  Never fails. */
const double *tess_mosaic_get_offsets (const TessMosaic *mosaic);
/* Sets the background offsets (one per input, as tess_mosaic_get_offsets()
 * gives them; those of unused inputs are ignored) instead of fitting them:
 * so that processes sharing a mosaic fit them once.  FALSE when the
 * options do not match backgrounds (nothing is set then); no other
 * failure, and no GError. */
gboolean tess_mosaic_set_offsets (TessMosaic *mosaic, const double *offsets);
/**
 * tess_mosaic_write:
 *
 * Computes the mosaic band by band (memory: a band, whatever the number
 * of inputs; each input only where it lands; @run's jobs are bands
 * computed at once, about eight each, in threads or with
 * TESS_ENGINE_PROCESSES in worker processes, each rebuilding the mosaic
 * from its description (see tess_block_job_describe()); its block height
 * caps the band; NULL: one band at a time in this thread) and writes it
 * to @path: the image, and an extension FOOTPRINT with the sum of the
 * weights that contributed to each pixel.  Written under a temporary
 * name, renamed when complete.  The values do not depend on the jobs,
 * the engine or the bands.
 *
 * @run (nullable): its jobs 0 for one a core (negative:
 * TESS_ERROR_INVALID).  The backgrounds are
 * fitted first when the options ask for it and they are neither fitted
 * nor set.  @cancellable (nullable) is checked between bands and within
 * them; @progress (nullable) is called in this thread.  Changes the
 * mosaic (its offsets): see TessMosaic.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_INVALID (a
 *   negative block size; worker processes for inputs made in memory,
 *   with no file), TESS_ERROR_CANCELLED, TESS_ERROR_IO (the file, as for
 *   tess_plan_write()), TESS_ERROR_NO_MEMORY (a band's output), the
 *   errors of tess_mosaic_match_backgrounds() when it fits the offsets,
 *   or those of tess_plan_compute_region()
 */
gboolean tess_mosaic_write (TessMosaic *mosaic, const char *path,
                            TessWriteFlags flags, const TessRunOptions *run,
                            GCancellable *cancellable,
                            TessProgressFunc progress, gpointer user_data,
                            GError **error);

/* The mosaic's pixel type (double when an input's plan's is) and its
 * planes, those of its output.  Never fail. */
TessPixelType tess_mosaic_get_pixel_type (const TessMosaic *mosaic);
gint64 tess_mosaic_get_nplanes (const TessMosaic *mosaic);

/**
 * tess_mosaic_run_into:
 * @mosaic: a mosaic
 * @run: (nullable): as for tess_mosaic_write()
 * @data: (out): tess_mosaic_get_nplanes() planes of the target's size, of
 *   tess_mosaic_get_pixel_type(), where the mosaic goes
 * @footprint: (out) (nullable): the target's size in floats: the sum of
 *   the weights that contributed to each pixel
 * @cancellable: (nullable): as for tess_mosaic_write()
 * @progress: (nullable): progress callback, called in this thread
 * @user_data: for @progress
 * @error: return location for an error
 *
 * As tess_mosaic_write(), into the caller's memory: the same values.  On
 * error the contents of @data and @footprint are undefined.
 *
 * Returns: %TRUE, or %FALSE with @error set, as tess_mosaic_write() but
 *   for the file.
 */
gboolean tess_mosaic_run_into (TessMosaic *mosaic, const TessRunOptions *run,
                               gpointer data, float *footprint,
                               GCancellable *cancellable,
                               TessProgressFunc progress, gpointer user_data,
                               GError **error);

/**
 * TessBlockJob:
 *
 * The blocks of a run writing one output file, for an engine that spreads
 * them over processes of its own (tessera-mpi runs them under MPI).  Every
 * process makes the same job from the same plan (or mosaic) and options:
 * the blocks are then the same everywhere, each described by its number.
 * One process creates the output file (tess_block_job_create()), under a
 * temporary name it passes to the others, which attach to it
 * (tess_block_job_attach()); any process may then compute any block
 * (tess_block_job_compute()), which goes straight to its place in the
 * file.  When every block is done and every process has finished
 * (tess_block_job_finish()), the creator commits, renaming the file into
 * place, or aborts, removing it.  The result is bit-identical to
 * tess_plan_write() or tess_mosaic_write() with the same options.  Rather
 * than making the plan or mosaic again, the other processes may rebuild
 * the job from the text one of them describes it by
 * (tess_block_job_describe(), tess_block_job_new_from_description()).
 */
typedef struct _TessBlockJob TessBlockJob;

/* The blocks of @plan's @rect (NULL: all), as @run cuts them.  @run
 * (nullable): only its block size counts.  The job takes a reference to
 * @plan.  (transfer full): free it with tess_block_job_free(); NULL with
 * TESS_ERROR_INVALID when @rect is empty or not inside the output, or a
 * block size is negative. */
TessBlockJob *tess_block_job_new_plan (TessPlan *plan, const TessRect *rect,
                                       const TessRunOptions *run,
                                       GError **error);
/* The bands of @mosaic; @run's jobs are threads computing each band (its
 * engine does not count), its block height caps the band.  Backgrounds, when
 * the options match them, are fitted unless they are already (or their offsets
 * set, as another process fitted them: see tess_mosaic_set_offsets()).  No
 * reference is taken: @mosaic must outlive the job, which uses it.  @run and
 * @cancellable are nullable; @cancellable is checked by
 * tess_block_job_compute() too.  (transfer full), or NULL with @error:
 * TESS_ERROR_INVALID (a negative block size), or the errors of
 * tess_mosaic_match_backgrounds(). */
TessBlockJob *tess_block_job_new_mosaic (TessMosaic *mosaic,
                                         const TessRunOptions *run,
                                         GCancellable *cancellable,
                                         GError **error);
/* The text another process, on this machine or another, rebuilds @job
 * from (tess_block_job_new_from_description()): the inputs' files (as
 * they were opened), the target's header, the options, the blocks, and a
 * mosaic's weights, weight images and background offsets.  (transfer
 * full): free it with g_free(); @length (nullable) gets its bytes.  NULL
 * with @error: TESS_ERROR_INVALID (an input made in memory, with no
 * file).  Reentrant for different jobs. */
char *tess_block_job_describe (TessBlockJob *job, gsize *length,
                               GError **error);
/* The job @text (@length bytes) describes: the same blocks, which compute
 * the same values.  Its inputs are opened from their files, mapped, with
 * the scratch copies of those that cannot be mapped in @scratch_dir
 * (NULL: $TMPDIR), as tess_image_open() does; its spline coefficients
 * are made by this process.  (transfer full): free it with
 * tess_block_job_free(); NULL with @error: TESS_ERROR_INVALID (not the
 * text of a job), or the errors of tess_image_open() and tess_plan_new()
 * for its inputs and target.  Reentrant. */
TessBlockJob *tess_block_job_new_from_description (const char *text,
                                                   gsize length,
                                                   const char *scratch_dir,
                                                   GError **error);
/* Frees @job (%NULL allowed): a file it created and did not commit is
 * removed, one it attached to is left to its creator; a plan's job drops
 * its reference to the plan.  Never fails. */
void tess_block_job_free (TessBlockJob *job);
/* The number of blocks.  Never fails. */
gint64 tess_block_job_get_n_blocks (const TessBlockJob *job);
/* Block @i's rectangle, in the coordinates of the output file (all zero
 * for an @i that is no block's).  Never fails. */
TessRect tess_block_job_get_block (const TessBlockJob *job, gint64 i);
/* Creates the output file for @path, headers written, full size: the
 * temporary name it has until committed (free it with g_free()).  NULL
 * with @error: TESS_ERROR_IO (@path exists and @flags lacks
 * TESS_WRITE_OVERWRITE, or is a folder; no file can be made in its folder;
 * not enough disk space; a write fails), TESS_ERROR_INVALID (an output
 * size out of range).  Once a job: one that has a file already is a
 * programming error (NULL, no error set). */
char *tess_block_job_create (TessBlockJob *job, const char *path,
                             TessWriteFlags flags, GError **error);
/* Opens the file another process created, under its temporary name.
 * FALSE with @error: TESS_ERROR_IO (it cannot be opened or read, or is no
 * output being written), TESS_ERROR_INVALID (it was made for another job:
 * another size, number of planes or type).  Once a job, as
 * tess_block_job_create(). */
gboolean tess_block_job_attach (TessBlockJob *job, const char *temp_path,
                                GError **error);
/* Computes block @i and writes it into the file.  Only once the job has
 * a file (tess_block_job_create() or tess_block_job_attach()); a
 * programming error otherwise (FALSE, no error set).  Not from several
 * threads at once on one job, whose buffers it reuses.  FALSE with
 * @error: TESS_ERROR_INVALID (@i is no block's), TESS_ERROR_IO (the
 * write), TESS_ERROR_NO_MEMORY (the block's buffers),
 * TESS_ERROR_CANCELLED (a mosaic's cancellable), or those of
 * tess_plan_compute_region(). */
gboolean tess_block_job_compute (TessBlockJob *job, gint64 i, GError **error);
/* Closes the file: an attached process makes sure its blocks are written
 * to the file; the creator renames it into place when @commit, else
 * removes it.  FALSE with TESS_ERROR_IO when the file cannot be written
 * through or closed, or cannot be renamed into place (a file there and no
 * TESS_WRITE_OVERWRITE): the creator's is then removed.  A job without a
 * file returns TRUE without @commit, and FALSE with TESS_ERROR_INVALID
 * with it. */
gboolean tess_block_job_finish (TessBlockJob *job, gboolean commit,
                                GError **error);
/* Progress of the job, however its engine counts the blocks done: from
 * tess_block_job_start_progress() (which reports none done) on, each
 * tess_block_job_report_progress() passes the counts of all processes
 * to @progress, at most ten times a second (and always once every block
 * is done); tess_block_job_finish_progress() reports the end.  The time
 * left is estimated once a tenth of the pixels are done.  @progress is
 * called in the thread that calls these (nullable: nothing is reported).
 * Never fail. */
void tess_block_job_start_progress (TessBlockJob *job,
                                    TessProgressFunc progress,
                                    gpointer user_data);
void tess_block_job_report_progress (TessBlockJob *job, gint64 blocks_done,
                                     gint64 pixels_done);
void tess_block_job_finish_progress (TessBlockJob *job);

/**
 * TessOptimalOptions:
 * @frame: the celestial frame of the WCS
 * @projection: its projection ("TAN" by default)
 * @resolution: its pixel scale in degrees, or 0 for the finest input's
 * @auto_rotate: turn the grid to the minimum-area rectangle around the
 *   inputs (else north up)
 *
 * Initialise with tess_optimal_options_init().  Fixed size (64 bytes):
 * later fields take the place of the zeroed padding.
 */
typedef struct
{
  TessFrame frame;
  char projection[4];
  double resolution;
  gboolean auto_rotate;

  /*< private >*/
  guint64 _tess_reserved[5];
} TessOptimalOptions;

/* Defaults: the first input's frame (@first may be NULL: ICRS), TAN, the
 * finest resolution, north up.  ICRS too when @first's frame is -1 (see
 * tess_wcs_get_frame()); the padding is zeroed.  Never fails. */
void tess_optimal_options_init (TessOptimalOptions *options,
                                const TessWcs *first);

/**
 * tess_optimal_wcs:
 * @inputs: (array length=n): the inputs' WCS, with their image sizes
 *   (read, no reference kept)
 * @n: their number
 * @options: the WCS wanted (not %NULL); its frame must be a TessFrame
 * @error: return location for an error
 *
 * The WCS and size of the smallest image that covers every input: each
 * input's outline (sampled along its edges, which can bulge, not only at
 * its corners) carried into @options's frame and projection about the
 * mean position.
 *
 * Returns: (transfer full): the WCS, or %NULL with @error set, as by
 *   tess_optimal_wcs_about()
 */
TessWcs *tess_optimal_wcs (TessWcs *const *inputs, int n,
                           const TessOptimalOptions *options, GError **error);

/**
 * tess_optimal_wcs_about:
 * @reference: (nullable): the reference position (CRVAL), longitude and
 *   latitude in degrees in @options's frame; %NULL for the mean position
 *
 * As tess_optimal_wcs(), the projection about @reference.  Errors:
 * %TESS_ERROR_INVALID for no input or a reference off the sky,
 * %TESS_ERROR_WCS when an input does not fit in the projection about it.
 * Also %TESS_ERROR_INVALID for an input without image size, a projection
 * code that is not FITS's, or an image that would be more than 2^24
 * pixels a side; %TESS_ERROR_WCS for an input that is not celestial or
 * whose frame TessFrame does not name, an input's centre or edge without
 * sky position, or a projection that wcslib cannot set up (as the conics,
 * which need parameters).
 *
 * Returns: (transfer full): the WCS, or %NULL with @error set
 */
TessWcs *tess_optimal_wcs_about (TessWcs *const *inputs, int n,
                                 const TessOptimalOptions *options,
                                 const double *reference, GError **error);

/* ---------------------------------------------------------------------- */
/* HEALPix maps                                                            */

/* Largest NSIDE of the HEALPix 64-bit indexing. */
#define TESS_HEALPIX_MAX_NSIDE ((gint64)1 << 29)

/**
 * TessHealpixOrder:
 * @TESS_HEALPIX_RING: pixels numbered ring by ring from the north pole
 * @TESS_HEALPIX_NESTED: pixels numbered by the hierarchy of the 12 base
 *   pixels
 */
typedef enum
{
  TESS_HEALPIX_RING,
  TESS_HEALPIX_NESTED,
} TessHealpixOrder;

/* "ring" or "nested"; the parser takes RING, NESTED or NEST, any case.
 * The names are static strings ("unknown" for a value that names no
 * order), never failing; the parser fails only with TESS_ERROR_INVALID
 * (@order untouched), for an unknown name. */
const char *tess_healpix_order_name (TessHealpixOrder order);
gboolean tess_healpix_order_from_name (const char *name,
                                       TessHealpixOrder *order,
                                       GError **error);
/* TRUE for a power of 2 from 1 to TESS_HEALPIX_MAX_NSIDE.  Never fails. */
gboolean tess_healpix_nside_valid (gint64 nside);

/**
 * TessHealpixMap:
 *
 * One field (column) of a HEALPix map, held whole in memory (as doubles,
 * RING order).  Immutable: may be shared between threads.
 * Reference-counted.
 */
typedef struct _TessHealpixMap TessHealpixMap;

/**
 * tess_healpix_file_is_map:
 *
 * TRUE when @path (cfitsio syntax) is to be read as a HEALPix map: it names
 * a binary-table HDU, or names none and the file is an empty primary HDU
 * followed by a binary table.  Whether the table really is a HEALPix map
 * is for tess_healpix_map_load() to say.  FALSE too for a file cfitsio
 * cannot open.  Never fails.
 */
gboolean tess_healpix_file_is_map (const char *path);

/**
 * tess_healpix_map_load:
 * @path: a FITS file (cfitsio syntax; the first extension unless an HDU is
 *   named) whose binary table is a HEALPix map: PIXTYPE = 'HEALPIX',
 *   ORDERING RING or NESTED, NSIDE, COORDSYS (C/CEL/Q/EQU: ICRS, G/GAL:
 *   Galactic, E/ECL: ecliptic, or a frame name), optional FIRSTPIX/LASTPIX;
 *   implicit indexing (the values of pixels FIRSTPIX to LASTPIX in order,
 *   one or several per row, as Planck's 1024-element rows) or explicit
 *   (INDXSCHM = 'EXPLICIT': a PIXEL column gives each value's pixel)
 * @field: the value column, 0-based, not counting the PIXEL column (0 is
 *   the first, as reproject's and healpy's field=0)
 * @error: return location for an error
 *
 * Reads a map.  Missing pixels, NULL values and HEALPix's UNSEEN value
 * (-1.6375e30) become NaN.  Reentrant as tess_image_load() is.
 *
 * Returns: (transfer full): the map, or %NULL with @error set (naming the
 *   file and what is wrong): TESS_ERROR_IO (the file is missing or
 *   unreadable, as for tess_image_load()), TESS_ERROR_FORMAT (no binary
 *   table; no PIXTYPE = 'HEALPIX'; ORDERING, COORDSYS, NSIDE or INDXSCHM
 *   missing or unknown; a column that is not numeric; values or pixels
 *   that do not fit NSIDE, FIRSTPIX and LASTPIX; another failure of
 *   cfitsio), TESS_ERROR_INVALID (no column @field),
 *   TESS_ERROR_UNSUPPORTED (an NSIDE too large for memory to address),
 *   TESS_ERROR_NO_MEMORY (no memory for the map)
 */
TessHealpixMap *tess_healpix_map_load (const char *path, int field,
                                       GError **error);
/* Adds a reference to @map and returns it; tess_healpix_map_unref() drops
 * one (@map may be %NULL), freeing the map with the last.  Both are
 * atomic: thread-safe.  Never fail. */
TessHealpixMap *tess_healpix_map_ref (TessHealpixMap *map);
void tess_healpix_map_unref (TessHealpixMap *map);
/* The map's NSIDE.  Never fails. */
gint64 tess_healpix_map_get_nside (const TessHealpixMap *map);
/* The ordering of the file (the values are held in RING order).  Never
 * fails. */
TessHealpixOrder tess_healpix_map_get_order (const TessHealpixMap *map);
/* The map's frame (COORDSYS), always a TessFrame.  Never fails. */
TessFrame tess_healpix_map_get_frame (const TessHealpixMap *map);
/* The path the map was loaded from: owned by the map, valid while it
 * lives.  Never fails. */
const char *tess_healpix_map_get_source (const TessHealpixMap *map);
/* The name (TTYPEn) of the column read ("column N" when it has none):
 * owned by the map.  Never fails. */
const char *tess_healpix_map_get_column (const TessHealpixMap *map);
/* Float for float and small integer columns, double otherwise: the type of
 * the output of tess_healpix_reproject_write().  Never fails. */
TessPixelType tess_healpix_map_get_pixel_type (const TessHealpixMap *map);
/* An all-sky plate carrée WCS in the map's frame at about its resolution
 * (the base of a typed target).  (transfer full): a new TessWcs, or NULL
 * with TESS_ERROR_INVALID when the map is too fine for an image of at
 * most 2^24 pixels a side (NSIDE 2^22 and above). */
TessWcs *tess_healpix_map_default_target (const TessHealpixMap *map,
                                          GError **error);

/**
 * tess_healpix_reproject_write:
 * @map: the map
 * @target: the output WCS and size
 * @rect: (nullable): the part of the target to compute, %NULL for all
 * @options: (nullable): the method: nearest or bilinear (as
 *   reproject_from_healpix), adaptive (its kernel, kernel width and sample
 *   region width are used) or exact (the footprint is then the covered
 *   fraction); see README for each.  Other fields are not used.
 * @run: (nullable): blocks, and @jobs threads computing them (the engine
 *   TESS_ENGINE_PROCESSES is TESS_ERROR_UNSUPPORTED)
 * @path: the FITS file to write, laid out as tess_plan_write() does
 * @flags: TessWriteFlags
 * @cancellable: (nullable): cancels the run, checked between blocks
 *   (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback, called in this thread, at
 *   most ten times a second and at the start and the end, as for plans
 * @user_data: for @progress
 * @error: return location for an error
 *
 * Reprojects a HEALPix map onto @target.  Output pixels with no world
 * position (for the exact method: a corner without one), or whose value
 * is not finite, are NaN (footprint 0).  The result does not depend on
 * the blocks or the number of threads.  The file is written block by
 * block under a temporary name and renamed when complete.
 *
 * The output's type is the map's (tess_healpix_map_get_pixel_type()).
 * @run's jobs: 0 for one a core (negative: TESS_ERROR_INVALID); worker
 * processes are refused only for jobs other than 1.  The map is only read:
 * calls may share it at once.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_UNSUPPORTED (the
 *   biquadratic or bicubic method, worker processes), TESS_ERROR_WCS (a
 *   target that is not celestial), TESS_ERROR_INVALID (a target without
 *   size, @rect not inside it, a negative block size or number of jobs),
 *   TESS_ERROR_CANCELLED, TESS_ERROR_IO (the file, as for
 *   tess_plan_write())
 */
gboolean tess_healpix_reproject_write (
    TessHealpixMap *map, TessWcs *target, const TessRect *rect,
    const TessOptions *options, const TessRunOptions *run, const char *path,
    TessWriteFlags flags, GCancellable *cancellable, TessProgressFunc progress,
    gpointer user_data, GError **error);

/**
 * TessHealpixOptions:
 * @nside: the map's NSIDE, a power of 2 up to TESS_HEALPIX_MAX_NSIDE
 * @order: its pixel ordering
 * @frame: its celestial frame (COORDSYS: C for ICRS, G, E; the others by
 *   name, as tess_frame_name() gives it)
 * @method: nearest or bilinear (the image sampled at each pixel centre,
 *   as reproject_to_healpix does: NaN outside [0, n−1]), or exact (each
 *   pixel the mean of the image's pixels weighted by the solid angle they
 *   share with it; see README)
 *
 * Initialise with tess_healpix_options_init() (NSIDE 256, RING, Galactic,
 * bilinear).  Fixed size (64 bytes): later fields take the place of the
 * zeroed padding.
 */
typedef struct
{
  gint64 nside;
  TessHealpixOrder order;
  TessFrame frame;
  TessMethod method;

  /*< private >*/
  guint64 _tess_reserved[5];
} TessHealpixOptions;

/* Fills @options with the defaults above (the padding zeroed).  Never
 * fails. */
void tess_healpix_options_init (TessHealpixOptions *options);

/**
 * tess_healpix_from_image_write:
 * @image: a 2-D image with its WCS (only read)
 * @options: the map to make (not %NULL); its frame and order must be
 *   values of their enumerations, which are not checked
 * @path: the FITS file to write: an empty primary HDU and a binary table
 *   of one value per row in column SIGNAL (float, or double for a double
 *   image), FOOTPRINT (the covered fraction; unless
 *   TESS_WRITE_NO_FOOTPRINT), with PIXTYPE, ORDERING, COORDSYS, NSIDE,
 *   FIRSTPIX, LASTPIX, INDXSCHM = 'IMPLICIT' (as healpy writes them);
 *   pixels the image does not cover are NaN
 * @flags: TessWriteFlags
 * @cancellable: (nullable): cancels the run, checked between chunks
 *   (TESS_ERROR_CANCELLED)
 * @progress: (nullable): progress callback, called in this thread
 * @user_data: for @progress
 * @error: return location for an error
 *
 * Makes a full-sky HEALPix map of @image, computed and written a chunk of
 * pixels at a time (the map is never held whole), under a temporary name
 * renamed when complete.
 *
 * Returns: %TRUE, or %FALSE with @error set: TESS_ERROR_INVALID (an NSIDE
 *   tess_healpix_nside_valid() refuses), TESS_ERROR_WCS (an image that is
 *   not celestial), TESS_ERROR_UNSUPPORTED (a method other than nearest,
 *   bilinear and exact; a cube), TESS_ERROR_NO_MEMORY (the exact method's
 *   pixel areas), TESS_ERROR_CANCELLED, TESS_ERROR_IO (@path exists and
 *   @flags lacks TESS_WRITE_OVERWRITE, or is a folder; the file cannot be
 *   created, written or renamed into place), TESS_ERROR_FORMAT (cfitsio's
 *   failures other than I/O)
 */
gboolean tess_healpix_from_image_write (TessImage *image,
                                        const TessHealpixOptions *options,
                                        const char *path, TessWriteFlags flags,
                                        GCancellable *cancellable,
                                        TessProgressFunc progress,
                                        gpointer user_data, GError **error);

/**
 * tess_reproject:
 * Convenience: tess_plan_new() then tess_plan_run().
 *
 * In the calling thread, not cancellable; @options may be %NULL for the
 * defaults.  The plan is dropped before it returns: no reference to
 * @input is kept, and the output's WCS is @target itself, referenced.
 *
 * Returns: (transfer full): the output image (tess_image_unref() it), or
 *   %NULL with @error set: the errors of tess_plan_new() and
 *   tess_plan_run()
 */
TessImage *tess_reproject (TessImage *input, TessWcs *target,
                           const TessOptions *options, GError **error);

G_END_DECLS

#endif /* TESSERA_H */
