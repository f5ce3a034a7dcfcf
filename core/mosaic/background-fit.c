/* background-fit.c — the background offsets of a mosaic's inputs from
 * the differences measured between them (background.c): least squares,
 * group by group of overlapping inputs.
 */
#include "config.h"

#include "mosaic/tess-background.h"

#include <math.h>

/* Solves A x = b (n × n, row-major, destroyed) by Gaussian elimination
 * with partial pivoting; FALSE when singular. */
static gboolean
solve (double *A, double *b, int n)
{
  for (int c = 0; c < n; c++)
    {
      int p = c;
      for (int r = c + 1; r < n; r++)
        if (fabs (A[r * n + c]) > fabs (A[p * n + c]))
          p = r;
      if (fabs (A[p * n + c]) < 1e-12)
        return FALSE;
      if (p != c)
        {
          for (int k = 0; k < n; k++)
            {
              double t = A[c * n + k];
              A[c * n + k] = A[p * n + k];
              A[p * n + k] = t;
            }
          double t = b[c];
          b[c] = b[p];
          b[p] = t;
        }
      for (int r = c + 1; r < n; r++)
        {
          double f = A[r * n + c] / A[c * n + c];
          if (f == 0.0)
            continue;
          for (int k = c; k < n; k++)
            A[r * n + k] -= f * A[c * n + k];
          b[r] -= f * b[c];
        }
    }
  for (int r = n - 1; r >= 0; r--)
    {
      double s = b[r];
      for (int k = r + 1; k < n; k++)
        s -= A[r * n + k] * b[k];
      b[r] = s / A[r * n + r];
    }
  return TRUE;
}

gboolean
tess__background_fit (int n, const gboolean *present, const double *N,
                      const double *D, int reference, double *offsets,
                      int *isolated, GError **error)
{
  int *comp = g_new (int, n);
  gboolean ok = FALSE;

  *isolated = -1;
  /* An input that overlaps no other has no offset to fit. */
  {
    int with_img = 0;
    for (int i = 0; i < n; i++)
      with_img += present[i];
    for (int i = 0; i < n && with_img > 1; i++)
      {
        gboolean any = FALSE;
        if (!present[i])
          continue;
        for (int j = 0; j < n; j++)
          any |= N[i * n + j] > 0;
        if (!any)
          {
            g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                         "overlaps no other input: its background cannot "
                         "be matched");
            *isolated = i;
            goto out;
          }
      }
  }
  /* Connected groups of overlapping inputs; in each, least squares on
   * c_i - c_j = D_ij weighted by the overlap, with the reference at 0 or
   * the group's mean at 0. */
  for (int i = 0; i < n; i++)
    comp[i] = -1;
  for (int s = 0; s < n; s++)
    {
      int *members, k = 0, head = 0;
      double *A, *b;
      gboolean has_ref = FALSE;

      if (comp[s] >= 0 || !present[s])
        continue;
      members = g_new (int, n);
      members[k++] = s;
      comp[s] = s;
      while (head < k)
        {
          int u = members[head++];
          for (int v = 0; v < n; v++)
            if (N[u * n + v] > 0 && comp[v] < 0)
              {
                comp[v] = s;
                members[k++] = v;
              }
        }
      A = g_new0 (double, (gsize)k *k);
      b = g_new0 (double, k);
      for (int a = 0; a < k; a++)
        {
          int i = members[a];
          if (i == reference)
            has_ref = TRUE;
          for (int c = 0; c < k; c++)
            {
              int j = members[c];
              if (j == i || N[i * n + j] <= 0)
                continue;
              A[a * k + a] += N[i * n + j];
              A[a * k + c] -= N[i * n + j];
              b[a] += N[i * n + j] * D[i * n + j];
            }
        }
      {
        /* The gauge: c_ref = 0, or sum c = 0 (added as a rank-one term). */
        double scale = 1.0;
        for (int a = 0; a < k; a++)
          scale = MAX (scale, A[a * k + a]);
        for (int a = 0; a < k; a++)
          {
            if (has_ref && members[a] == reference)
              {
                for (int c = 0; c < k; c++)
                  A[a * k + c] = 0.0;
                A[a * k + a] = 1.0;
                b[a] = 0.0;
              }
            else if (!has_ref)
              for (int c = 0; c < k; c++)
                A[a * k + c] += scale;
          }
      }
      if (!solve (A, b, k))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "background matching: the overlaps do not determine "
                       "the offsets");
          g_free (A);
          g_free (b);
          g_free (members);
          goto out;
        }
      for (int a = 0; a < k; a++)
        offsets[members[a]] = b[a];
      g_free (A);
      g_free (b);
      g_free (members);
    }
  ok = TRUE;

out:
  g_free (comp);
  return ok;
}
