#include "steward_keystore.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CHAIN 10

typedef struct {
    char *name;                       // friendlyName (alias), may be NULL
    ASN1_OCTET_STRING *local_key_id;  // may be NULL
    EVP_PKEY *key;                    // set for key bags
    X509 *cert;                       // set for certificate bags
} entry;

typedef struct {
    entry *items;
    size_t count, capacity;
} entry_list;

static char *copy_string(const char *text) {
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy) memcpy(copy, text, length + 1);
    return copy;
}

static char *openssl_error(const char *context) {
    char buffer[512];
    unsigned long code = ERR_get_error();
    if (code) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        snprintf(buffer, sizeof buffer, "%s: %s", context, reason);
    } else {
        snprintf(buffer, sizeof buffer, "%s", context);
    }
    ERR_clear_error();
    return copy_string(buffer);
}

static int append(entry_list *list, entry item) {
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        entry *grown = realloc(list->items, capacity * sizeof(entry));
        if (!grown) return 0;
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->count++] = item;
    return 1;
}

static void free_list(entry_list *list) {
    for (size_t i = 0; i < list->count; i++) {
        OPENSSL_free(list->items[i].name);
        ASN1_OCTET_STRING_free(list->items[i].local_key_id);
        EVP_PKEY_free(list->items[i].key);
        X509_free(list->items[i].cert);
    }
    free(list->items);
}

static ASN1_OCTET_STRING *copy_key_id(const PKCS12_SAFEBAG *bag) {
    const ASN1_TYPE *attribute = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
    if (!attribute || attribute->type != V_ASN1_OCTET_STRING) return NULL;
    return ASN1_OCTET_STRING_dup(attribute->value.octet_string);
}

// Collects key and certificate bags, descending into nested safe-contents bags.
static int collect(const STACK_OF(PKCS12_SAFEBAG) *bags, const char *password, entry_list *list, int depth) {
    if (depth > 4) return 0;
    for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
        const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
        entry item = {0};
        switch (PKCS12_SAFEBAG_get_nid(bag)) {
        case NID_keyBag: {
            item.key = EVP_PKCS82PKEY(PKCS12_SAFEBAG_get0_p8inf(bag));
            if (!item.key) return 0;
            break;
        }
        case NID_pkcs8ShroudedKeyBag: {
            PKCS8_PRIV_KEY_INFO *info = PKCS12_decrypt_skey(bag, password, -1);
            if (!info) return 0;
            item.key = EVP_PKCS82PKEY(info);
            PKCS8_PRIV_KEY_INFO_free(info);
            if (!item.key) return 0;
            break;
        }
        case NID_certBag:
            if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) continue;
            item.cert = PKCS12_SAFEBAG_get1_cert(bag);
            if (!item.cert) return 0;
            break;
        case NID_safeContentsBag:
            if (!collect(PKCS12_SAFEBAG_get0_safes(bag), password, list, depth + 1)) return 0;
            continue;
        default:
            continue;  // CRLs, secrets: not ours
        }
        item.name = PKCS12_get_friendlyname((PKCS12_SAFEBAG *)bag);
        item.local_key_id = copy_key_id(bag);
        if (!append(list, item)) return 0;
    }
    return 1;
}

static int unpack(PKCS12 *p12, const char *password, entry_list *list) {
    STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
    if (!safes) return 0;
    int ok = 1;
    for (int i = 0; ok && i < sk_PKCS7_num(safes); i++) {
        PKCS7 *safe = sk_PKCS7_value(safes, i);
        STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
        int type = OBJ_obj2nid(safe->type);
        if (type == NID_pkcs7_data) bags = PKCS12_unpack_p7data(safe);
        else if (type == NID_pkcs7_encrypted) bags = PKCS12_unpack_p7encdata(safe, password, -1);
        else continue;
        ok = bags && collect(bags, password, list, 0);
        sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    }
    sk_PKCS7_pop_free(safes, PKCS7_free);
    return ok;
}

static int same_id(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b) {
    return a && b && ASN1_OCTET_STRING_cmp(a, b) == 0;
}

static char *pem_of_key(EVP_PKEY *key) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *result = NULL;
    if (bio && PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        char *data;
        long length = BIO_get_mem_data(bio, &data);
        result = malloc(length + 1);
        if (result) { memcpy(result, data, length); result[length] = 0; }
    }
    BIO_free(bio);
    return result;
}

static char *pem_of_chain(X509 **chain, int count) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *result = NULL;
    int ok = bio != NULL;
    for (int i = 0; ok && i < count; i++) ok = PEM_write_bio_X509(bio, chain[i]);
    if (ok) {
        char *data;
        long length = BIO_get_mem_data(bio, &data);
        result = malloc(length + 1);
        if (result) { memcpy(result, data, length); result[length] = 0; }
    }
    BIO_free(bio);
    return result;
}

static char *alias_list(const entry_list *list) {
    size_t length = 1;
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].key && list->items[i].name) length += strlen(list->items[i].name) + 1;
    char *text = malloc(length);
    if (!text) return NULL;
    text[0] = 0;
    for (size_t i = 0; i < list->count; i++) {
        if (!list->items[i].key || !list->items[i].name) continue;
        strcat(text, list->items[i].name);
        strcat(text, "\n");
    }
    return text;
}

// The leaf is the certificate sharing the key's localKeyId, else its alias, else the one whose
// public key matches. Issuers follow by subject name, as far as the keystore holds them.
static int build_chain(const entry_list *list, const entry *key, X509 **chain) {
    X509 *leaf = NULL;
    for (size_t i = 0; !leaf && i < list->count; i++)
        if (list->items[i].cert && same_id(list->items[i].local_key_id, key->local_key_id)) leaf = list->items[i].cert;
    for (size_t i = 0; !leaf && key->name && i < list->count; i++)
        if (list->items[i].cert && list->items[i].name && strcasecmp(list->items[i].name, key->name) == 0)
            leaf = list->items[i].cert;
    for (size_t i = 0; !leaf && i < list->count; i++)
        if (list->items[i].cert && X509_check_private_key(list->items[i].cert, key->key)) leaf = list->items[i].cert;
    ERR_clear_error();
    if (!leaf) return 0;
    int count = 0;
    chain[count++] = leaf;
    while (count < MAX_CHAIN) {
        X509 *current = chain[count - 1];
        if (X509_NAME_cmp(X509_get_issuer_name(current), X509_get_subject_name(current)) == 0) break;
        X509 *issuer = NULL;
        for (size_t i = 0; !issuer && i < list->count; i++) {
            X509 *candidate = list->items[i].cert;
            if (!candidate || candidate == current) continue;
            if (X509_NAME_cmp(X509_get_subject_name(candidate), X509_get_issuer_name(current)) == 0) issuer = candidate;
        }
        if (!issuer) break;
        chain[count++] = issuer;
    }
    return count;
}

steward_keystore_status steward_keystore_read(const unsigned char *data, size_t length,
                                              const char *password, const char *alias,
                                              char **key_pem, char **chain_pem,
                                              char **aliases, char **error) {
    *key_pem = *chain_pem = *aliases = *error = NULL;
    const unsigned char *cursor = data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &cursor, (long)length);
    if (!p12) {
        ERR_clear_error();
        *error = copy_string("the file is not a PKCS#12 keystore");
        return STEWARD_KEYSTORE_MALFORMED;
    }
    if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, password, -1)) {
        PKCS12_free(p12);
        ERR_clear_error();
        *error = copy_string("the keystore password is wrong (the keystore's integrity check fails)");
        return STEWARD_KEYSTORE_WRONG_PASSWORD;
    }
    entry_list list = {0};
    steward_keystore_status status = STEWARD_KEYSTORE_OK;
    if (!unpack(p12, password, &list)) {
        *error = openssl_error("cannot decrypt the keystore's contents");
        status = STEWARD_KEYSTORE_INTERNAL;
        goto done;
    }
    *aliases = alias_list(&list);
    const entry *chosen = NULL;
    size_t key_count = 0;
    for (size_t i = 0; i < list.count; i++) {
        if (!list.items[i].key) continue;
        key_count++;
        if (alias && list.items[i].name && strcasecmp(list.items[i].name, alias) == 0) chosen = &list.items[i];
        if (!alias && !chosen) chosen = &list.items[i];
    }
    if (!alias && key_count > 1) {
        *error = copy_string("the keystore holds several key entries; choose one with server.key.alias");
        status = STEWARD_KEYSTORE_AMBIGUOUS;
        goto done;
    }
    if (!chosen) {
        *error = copy_string(alias ? "the keystore has no key entry with this alias" : "the keystore holds no private key");
        status = STEWARD_KEYSTORE_NO_SUCH_ALIAS;
        goto done;
    }
    X509 *chain[MAX_CHAIN];
    int chain_length = build_chain(&list, chosen, chain);
    if (chain_length == 0) {
        *error = copy_string("the key entry has no certificate");
        status = STEWARD_KEYSTORE_NO_CERTIFICATE;
        goto done;
    }
    if (!X509_check_private_key(chain[0], chosen->key)) {
        ERR_clear_error();
        *error = copy_string("the entry's certificate does not belong to its private key");
        status = STEWARD_KEYSTORE_KEY_MISMATCH;
        goto done;
    }
    *key_pem = pem_of_key(chosen->key);
    *chain_pem = pem_of_chain(chain, chain_length);
    if (!*key_pem || !*chain_pem) {
        *error = openssl_error("cannot encode the entry as PEM");
        status = STEWARD_KEYSTORE_INTERNAL;
    }
done:
    free_list(&list);
    PKCS12_free(p12);
    return status;
}

static STACK_OF(X509) *read_chain(const char *pem) {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *cert;
    while (bio && chain && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) sk_X509_push(chain, cert);
    ERR_clear_error();  // the end of the PEM data reads as an error
    BIO_free(bio);
    if (chain && sk_X509_num(chain) == 0) {
        sk_X509_free(chain);
        return NULL;
    }
    return chain;
}

static EVP_PKEY *read_key(const char *pem) {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

static int add_entry(STACK_OF(PKCS7) **safes, const char *alias, const char *key_pem,
                     const char *chain_pem, const char *password, char **error) {
    EVP_PKEY *key = read_key(key_pem);
    STACK_OF(X509) *chain = read_chain(chain_pem);
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    int ok = 0;
    if (!key || !chain) {
        *error = openssl_error(key ? "cannot read the certificate chain" : "cannot read the private key");
        goto done;
    }
    unsigned char key_id[EVP_MAX_MD_SIZE];
    unsigned int key_id_length = 0;
    if (!X509_digest(sk_X509_value(chain, 0), EVP_sha1(), key_id, &key_id_length)) goto failed;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        PKCS12_SAFEBAG *bag = PKCS12_add_cert(&bags, sk_X509_value(chain, i));
        if (!bag) goto failed;
        if (i == 0 && (!PKCS12_add_friendlyname(bag, alias, -1) ||
                       !PKCS12_add_localkeyid(bag, key_id, (int)key_id_length))) goto failed;
    }
    PKCS12_SAFEBAG *key_bag = PKCS12_add_key(&bags, key, 0, PKCS12_DEFAULT_ITER, NID_aes_256_cbc, password);
    if (!key_bag || !PKCS12_add_friendlyname(key_bag, alias, -1) ||
        !PKCS12_add_localkeyid(key_bag, key_id, (int)key_id_length)) goto failed;
    if (!PKCS12_add_safe(safes, bags, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, password)) goto failed;
    ok = 1;
    goto done;
failed:
    *error = openssl_error("cannot build the keystore entry");
done:
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    return ok;
}

steward_keystore_status steward_keystore_create(size_t count, const char *const *aliases,
                                                const char *const *key_pems,
                                                const char *const *chain_pems,
                                                const char *password,
                                                unsigned char **der, size_t *der_length,
                                                char **error) {
    *der = NULL;
    *der_length = 0;
    *error = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    PKCS12 *p12 = NULL;
    steward_keystore_status status = STEWARD_KEYSTORE_INTERNAL;
    for (size_t i = 0; i < count; i++)
        if (!add_entry(&safes, aliases[i], key_pems[i], chain_pems[i], password, error)) goto done;
    p12 = PKCS12_add_safes(safes, 0);
    if (!p12 || !PKCS12_set_mac(p12, password, -1, NULL, 0, PKCS12_DEFAULT_ITER, EVP_sha256())) {
        *error = openssl_error("cannot seal the keystore");
        goto done;
    }
    unsigned char *out = NULL;
    int length = i2d_PKCS12(p12, &out);
    if (length <= 0) {
        *error = openssl_error("cannot encode the keystore");
        goto done;
    }
    *der = malloc((size_t)length);
    if (*der) {
        memcpy(*der, out, (size_t)length);
        *der_length = (size_t)length;
        status = STEWARD_KEYSTORE_OK;
    }
    OPENSSL_free(out);
done:
    sk_PKCS7_pop_free(safes, PKCS7_free);
    PKCS12_free(p12);
    return status;
}

void steward_keystore_free(void *pointer) { free(pointer); }
