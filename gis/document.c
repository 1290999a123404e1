/* A sealed document in one call (gis/document.h). */
#include "gis/document.h"

enum err_code gis_document_pdf(const struct gis_pdf_info *info, gis_document_set_fn set, const void *user,
                               const struct gis_seal *seal, const char *reason, const char *location, struct buf *out,
                               bool *sealed, struct err *e)
{
    if (sealed)
        *sealed = false;
    struct arena *a = arena_new(1 << 14);
    PangoContext *pc = a ? gis_pdf_context("pl-PL") : NULL;
    if (!pc) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    size_t start = out->len;
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4};
    if (!rc) {
        cairo_surface_t *surf = gis_pdf_surface_create(out, gis_pdf_a4.w, gis_pdf_a4.h, info);
        t.cr = cairo_create(surf);
        set(&t, user);
        cairo_destroy(t.cr);
        cairo_surface_finish(surf);
        if (cairo_surface_status(surf))
            rc = err_set(e, ERR_IO, "writing %s: %s", info->title ? info->title : "the document",
                         cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
    }
    if (!rc && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory writing the document");
    if (!rc)
        rc = gis_pdf_finalize(out, start, "pl-PL", info, e);
    if (!rc && seal) {
        const struct gis_seal_field f = {
            .rect = {t.mark[0], t.mark[1], t.mark[2], t.mark[3]}, .reason = reason, .location = location};
        rc = gis_seal_sign(seal, out, start, &f, e);
        if (!rc && sealed)
            *sealed = true;
    }
    g_object_unref(pc);
    arena_free(a);
    return rc;
}
